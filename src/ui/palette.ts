/**
 * Okabe and Ito's palette ("Color Universal Design", 2008): eight colors that stay distinct for
 * the common kinds of color blindness. Anything the page colors takes its colors from here, and
 * never relies on color alone (a shape, symbol or text says the same).
 */
export const OKABE_ITO = {
  black: '#000000',
  orange: '#E69F00',
  skyBlue: '#56B4E9',
  bluishGreen: '#009E73',
  yellow: '#F0E442',
  blue: '#0072B2',
  vermillion: '#D55E00',
  reddishPurple: '#CC79A7',
} as const;

/** The palette in order, for series that need one color each (black last: it reads as text). */
export const SERIES_COLORS: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.bluishGreen,
  OKABE_ITO.vermillion,
  OKABE_ITO.reddishPurple,
  OKABE_ITO.skyBlue,
  OKABE_ITO.yellow,
  OKABE_ITO.black,
];

/** What each mark of the accuracy plot means, in one place for the plot and its legend. */
export const PLOT_COLORS = {
  run: OKABE_ITO.skyBlue,
  front: OKABE_ITO.blue,
  latest: OKABE_ITO.orange,
  baseline: OKABE_ITO.bluishGreen,
  estimate: OKABE_ITO.vermillion,
} as const;

/** The compare view's mark for a figure that differs between the two runs. */
export const DIFFERENCE_COLOR = OKABE_ITO.vermillion;
