import { dismissLinkError, isHidden } from '../store/actions.ts';
import { BackendPicker, BackendStatusLine } from './controls/BackendPicker.tsx';
import { DataSetPicker } from './controls/DataSetPicker.tsx';
import { ModelPicker } from './controls/ModelPicker.tsx';
import { SeedField } from './controls/SeedField.tsx';
import { ShareLink } from './controls/ShareLink.tsx';
import { RecipeEditor } from './recipe/RecipeEditor.tsx';
import { AccuracySizePlot } from './results/AccuracySizePlot.tsx';
import { CompareRuns } from './results/CompareRuns.tsx';
import { HistoryTable } from './results/HistoryTable.tsx';
import { LayerPictures } from './results/LayerPictures.tsx';
import { LayerTable } from './results/LayerTable.tsx';
import { ModelComparisonPlot } from './results/ModelComparisonPlot.tsx';
import { ResultSummary } from './results/ResultSummary.tsx';
import { HeldRunNotice } from './results/HeldRunNotice.tsx';
import { RunProgressPanel } from './results/RunProgressPanel.tsx';
import { QuantizationPanel } from './results/QuantizationPanel.tsx';
import { StepReports } from './results/StepReports.tsx';
import { StepsTable } from './results/StepsTable.tsx';
import { useDispatch, useLab } from './store-context.tsx';
import { ExportPanel } from './io/ExportPanel.tsx';
import { ModelImport } from './io/ModelImport.tsx';
import { StorageNote } from './io/StorageNote.tsx';
import { TourMenu, TourPanel } from './tours/TourPanel.tsx';
import { SweepControls } from './sweep/SweepControls.tsx';
import { SweepResults } from './sweep/SweepResults.tsx';

/** A share link that could not be read. Its text is shown as text only, never as HTML. */
function LinkErrorBanner() {
  const message = useLab((s) => s.linkError);
  const dispatch = useDispatch();
  if (!message) return null;
  return (
    <div className="banner error" role="alert" data-testid="link-error">
      <p>{message}</p>
      <button type="button" className="quiet" onClick={() => dispatch(dismissLinkError)}>
        Dismiss
      </button>
    </div>
  );
}

export function App() {
  const showModel = useLab((s) => !isHidden(s, 'model'));
  const showData = useLab((s) => !isHidden(s, 'data'));
  const showSeed = useLab((s) => !isHidden(s, 'seed'));
  const showBackend = useLab((s) => !isHidden(s, 'backend'));
  const showHistory = useLab((s) => !isHidden(s, 'history'));

  return (
    <div className="app">
      <header className="app-header">
        <h1>Compression Lab</h1>
        <p className="tagline">
          Compress a trained digit classifier step by step (prune, fine-tune, remove filters) and
          watch accuracy trade against size, computed live in your browser.
        </p>
        <TourMenu />
      </header>
      <LinkErrorBanner />
      <StorageNote />
      <div className="layout">
        <aside className="controls" aria-label="Experiment settings">
          {showModel ? <ModelPicker /> : null}
          {showData ? <DataSetPicker /> : null}
          {showModel ? <ModelImport /> : null}
          <RecipeEditor />
          <SweepControls />
          {showSeed ? <SeedField /> : null}
          {showBackend ? <BackendPicker /> : null}
          <BackendStatusLine />
          <ShareLink />
        </aside>
        <main className="results">
          <TourPanel />
          <RunProgressPanel />
          <HeldRunNotice />
          <ResultSummary />
          <AccuracySizePlot />
          <SweepResults />
          <ModelComparisonPlot />
          <StepsTable />
          <StepReports />
          <QuantizationPanel />
          <LayerPictures />
          <LayerTable />
          <ExportPanel />
          {showHistory ? <HistoryTable /> : null}
          {showHistory ? <CompareRuns /> : null}
        </main>
      </div>
    </div>
  );
}
