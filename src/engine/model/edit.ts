/**
 * Structural edits of a LayerGraph, as small functions that either succeed completely or leave
 * the graph as it was (each builds the new nodes, validates the result's shapes, then commits):
 * - removeChannels: drop output filters (conv) or units (dense) and everything that reads them:
 *   the next conv's or dense's input weights, batch-norm entries, depthwise channels, the
 *   features a Flatten makes of them, the channel offsets of a Concatenate; channels that meet
 *   in an Add must be removed from every side at once;
 * - removeInputChannels: the same, named from the consuming layer's side;
 * - replaceNode: one layer becomes a chain of layers (decompositions);
 * - insertAfter: a new layer after an existing one.
 */
import {
  GraphError,
  LayerGraph,
  product,
  type GraphNode,
  type LayerConfig,
  type WeightTensor,
} from './graph.ts';
import { layerKind } from './layers.ts';

export class GraphEditError extends GraphError {
  constructor(message: string) {
    super(message);
    this.name = 'GraphEditError';
  }
}

/** Removes the entries at `remove` along `axis` of a row-major tensor. */
export function removeAlongAxis<T extends Float32Array | Uint8Array>(
  values: T,
  shape: readonly number[],
  axis: number,
  remove: ReadonlySet<number>,
): { values: T; shape: number[] } {
  const keep: number[] = [];
  for (let i = 0; i < shape[axis]; i++) if (!remove.has(i)) keep.push(i);
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const out = new (values.constructor as new (n: number) => T)(outer * keep.length * inner);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    for (const k of keep) {
      const start = (o * shape[axis] + k) * inner;
      out.set(values.subarray(start, start + inner), pos);
      pos += inner;
    }
  }
  const newShape = [...shape];
  newShape[axis] = keep.length;
  return { values: out, shape: newShape };
}

function sliceWeight(w: WeightTensor, axis: number, remove: ReadonlySet<number>): WeightTensor {
  if (remove.size === 0) return w;
  const { values, shape } = removeAlongAxis(w.values, w.shape, axis, remove);
  const mask = w.mask ? removeAlongAxis(w.mask, w.shape, axis, remove).values : undefined;
  // A coding describes the old tensor; the quantizer that made it derives a new one if needed.
  return { ...w, values, shape, mask, coding: undefined };
}

export interface ChannelRemoval {
  /** A conv or dense layer whose output channels (filters or units) go. */
  readonly producer: string;
  readonly channels: readonly number[];
}

const sameSet = (a: ReadonlySet<number>, b: ReadonlySet<number>) =>
  a.size === b.size && [...a].every((x) => b.has(x));

/**
 * Removes the given output channels of conv/dense layers and every weight that reads them.
 * Throws GraphEditError (and changes nothing) when a removal cannot be traced: a Reshape or a
 * softmax in the way, the model's own output classes, channels that meet in an Add unevenly,
 * or every channel of a layer.
 */
export function removeChannels(graph: LayerGraph, removals: readonly ChannelRemoval[]): void {
  const info = graph.info();
  const requested = new Map<string, Set<number>>();
  for (const { producer, channels } of removals) {
    const node = graph.node(producer);
    if (layerKind(node.className).channels !== 'produce') {
      throw new GraphEditError(
        `"${producer}" is a ${node.className}; only conv and dense layers have filters to remove`,
      );
    }
    const shape = info.get(producer)!.outputShape;
    const count = shape[shape.length - 1];
    const set = requested.get(producer) ?? new Set<number>();
    for (const c of channels) {
      if (!Number.isInteger(c) || c < 0 || c >= count) {
        throw new GraphEditError(`"${producer}" has no channel ${c} (it has ${count})`);
      }
      set.add(c);
    }
    if (set.size >= count) {
      throw new GraphEditError(
        `removing every channel of "${producer}" would cut the network in two`,
      );
    }
    requested.set(producer, set);
  }

  // Phase 1: which output channels of every node go (in the graph's current numbering), and
  // which input channels every conv/dense loses.
  const removedOut = new Map<string, Set<number>>();
  const removedIn = new Map<string, Set<number>>();
  const none = new Set<number>();
  const outOf = (name: string) => removedOut.get(name) ?? none;
  for (const node of graph.nodes) {
    const { inputShapes } = info.get(node.name)!;
    const incoming = node.inbound.map(outOf);
    const first = incoming[0] ?? none;
    let out: Set<number> = none;
    switch (layerKind(node.className).channels) {
      case 'produce':
        if (first.size) removedIn.set(node.name, first);
        out = requested.get(node.name) ?? none;
        break;
      case 'elementwise':
      case 'batchnorm':
        out = first;
        break;
      case 'depthwise': {
        const multiplier = node.weights.find((w) => w.role === 'depthwise_kernel')!.shape[3];
        if (first.size) removedIn.set(node.name, first);
        out = new Set(
          [...first].flatMap((c) =>
            Array.from({ length: multiplier }, (_, m) => c * multiplier + m),
          ),
        );
        break;
      }
      case 'flatten': {
        const shape = inputShapes[0];
        const channels = shape[shape.length - 1];
        const positions = product(shape) / channels;
        out = new Set<number>();
        for (const c of first) for (let p = 0; p < positions; p++) out.add(p * channels + c);
        break;
      }
      case 'concat': {
        out = new Set<number>();
        let offset = 0;
        for (const [k, set] of incoming.entries()) {
          for (const c of set) out.add(offset + c);
          const shape = inputShapes[k];
          offset += shape[shape.length - 1];
        }
        break;
      }
      case 'add':
        if (incoming.some((set) => !sameSet(set, first))) {
          const producers = tiedProducers(graph, node.name);
          throw new GraphEditError(
            `channels of ${node.inbound.map((n) => `"${n}"`).join(' and ')} meet in "${node.name}" (Add): remove the same channels from every side${producers.length ? ` (the tied layers: ${producers.map((p) => `"${p}"`).join(', ')})` : ''}`,
          );
        }
        out = first;
        break;
      case 'block':
        if (first.size) {
          throw new GraphEditError(
            `cannot trace channels through "${node.name}" (${node.className})`,
          );
        }
        break;
    }
    if (out.size) removedOut.set(node.name, out);
  }
  if (removedOut.has(graph.output)) {
    throw new GraphEditError(
      `that would remove output classes of the model (layer "${graph.output}")`,
    );
  }

  // Phase 2: new nodes with sliced weights and updated configs; unchanged nodes are reused.
  const nodes = graph.nodes.map((node): GraphNode => {
    const inSet = removedIn.get(node.name) ?? none;
    const kind = layerKind(node.className).channels;
    if (kind === 'produce') {
      const outSet = requested.get(node.name) ?? none;
      if (!inSet.size && !outSet.size) return node;
      const weights = node.weights.map((w) => {
        if (w.role === 'bias') return sliceWeight(w, 0, outSet);
        const withOut = sliceWeight(w, w.shape.length - 1, outSet);
        return sliceWeight(withOut, w.shape.length - 2, inSet);
      });
      const kernel = weights.find((w) => w.role === 'kernel')!;
      const outCount = kernel.shape[kernel.shape.length - 1];
      const config: LayerConfig =
        kernel.shape.length === 2 // Dense, BinaryDense
          ? { ...node.config, units: outCount }
          : { ...node.config, filters: outCount };
      return { ...node, config, weights };
    }
    if (kind === 'depthwise' && inSet.size) {
      const outSet = removedOut.get(node.name) ?? none;
      const weights = node.weights.map((w) =>
        w.role === 'bias' ? sliceWeight(w, 0, outSet) : sliceWeight(w, 2, inSet),
      );
      return { ...node, weights };
    }
    if (kind === 'batchnorm') {
      const set = removedOut.get(node.name) ?? none;
      if (!set.size) return node;
      return { ...node, weights: node.weights.map((w) => sliceWeight(w, 0, set)) };
    }
    return node;
  });
  commit(graph, nodes, graph.output);
}

/** The conv and dense layers whose channels are tied with those of the Add `addName`. */
function tiedProducers(graph: LayerGraph, addName: string): string[] {
  let source = graph.node(addName).inbound[0];
  for (;;) {
    const node = graph.node(source);
    const flow = layerKind(node.className).channels;
    if (flow === 'produce') break;
    if ((flow !== 'elementwise' && flow !== 'batchnorm' && flow !== 'add') || !node.inbound.length)
      return [];
    source = node.inbound[0];
  }
  return channelTies(graph).find((g) => g.includes(source)) ?? [];
}

/** Validates the edited nodes' shapes; only then do they replace the graph's. */
function commit(graph: LayerGraph, nodes: GraphNode[], output: string): void {
  try {
    new LayerGraph(nodes, output).info();
  } catch (err) {
    throw new GraphEditError(`the edit leaves an invalid network: ${(err as Error).message}`);
  }
  graph.nodes = nodes;
  graph.output = output;
}

/**
 * Removes input channels of a conv or dense layer by removing the filters that produce them
 * (traced back through activations, pooling and batch norm). Every other reader of those
 * channels loses them too.
 */
export function removeInputChannels(
  graph: LayerGraph,
  layer: string,
  channels: readonly number[],
): void {
  let source = graph.node(graph.node(layer).inbound[0] ?? '');
  for (;;) {
    const flow = layerKind(source.className).channels;
    if (flow === 'produce') break;
    if ((flow !== 'elementwise' && flow !== 'batchnorm') || source.className === 'InputLayer') {
      throw new GraphEditError(
        `the input channels of "${layer}" come from "${source.name}" (${source.className}), not from a layer whose filters can go`,
      );
    }
    source = graph.node(source.inbound[0]);
  }
  removeChannels(graph, [{ producer: source.name, channels }]);
}

/** Replaces layer `name` by a chain of new layers; the chain's first reads what it read. */
export function replaceNode(graph: LayerGraph, name: string, chain: readonly GraphNode[]): void {
  const old = graph.node(name);
  if (old.className === 'InputLayer')
    throw new GraphEditError('the input layer cannot be replaced');
  if (chain.length === 0)
    throw new GraphEditError(`"${name}" must be replaced by at least one layer`);
  const taken = new Set(graph.nodes.filter((n) => n.name !== name).map((n) => n.name));
  for (const n of chain) {
    if (taken.has(n.name)) throw new GraphEditError(`a layer named "${n.name}" already exists`);
    taken.add(n.name);
  }
  const last = chain[chain.length - 1].name;
  const linked = chain.map((n, k) => ({
    ...n,
    inbound: k === 0 ? [...old.inbound] : [chain[k - 1].name],
  }));
  const nodes: GraphNode[] = [];
  for (const node of graph.nodes) {
    if (node.name === name) nodes.push(...linked);
    else if (node.inbound.includes(name)) {
      nodes.push({ ...node, inbound: node.inbound.map((i) => (i === name ? last : i)) });
    } else nodes.push(node);
  }
  commit(graph, nodes, graph.output === name ? last : graph.output);
}

/** Inserts `node` right after layer `after`: it reads `after`, and `after`'s readers read it. */
export function insertAfter(graph: LayerGraph, after: string, node: GraphNode): void {
  graph.node(after);
  if (graph.hasNode(node.name))
    throw new GraphEditError(`a layer named "${node.name}" already exists`);
  const nodes: GraphNode[] = [];
  for (const existing of graph.nodes) {
    nodes.push(
      existing.inbound.includes(after)
        ? { ...existing, inbound: existing.inbound.map((i) => (i === after ? node.name : i)) }
        : existing,
    );
    if (existing.name === after) nodes.push({ ...node, inbound: [after] });
  }
  commit(graph, nodes, graph.output === after ? node.name : graph.output);
}

/**
 * Conv and dense layers whose output channels are tied together: they meet (through
 * activations, pooling and batch norm) in an Add, so a channel can only go from all of them at
 * once. Every prunable producer appears in exactly one group.
 */
export function channelTies(graph: LayerGraph): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== undefined && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  const sourceOf = (name: string): string => {
    let node = graph.node(name);
    for (;;) {
      const flow = layerKind(node.className).channels;
      if ((flow === 'elementwise' || flow === 'batchnorm') && node.inbound.length === 1) {
        node = graph.node(node.inbound[0]);
      } else return node.name;
    }
  };
  for (const node of graph.nodes) {
    if (layerKind(node.className).channels !== 'add') continue; // Add, Multiply
    for (const input of node.inbound) union(sourceOf(input), node.name);
  }
  const groups = new Map<string, string[]>();
  for (const node of graph.nodes) {
    if (layerKind(node.className).channels !== 'produce') continue;
    const root = find(node.name);
    groups.set(root, [...(groups.get(root) ?? []), node.name]);
  }
  return [...groups.values()];
}
