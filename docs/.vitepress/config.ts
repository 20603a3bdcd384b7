import { defineConfig } from 'vitepress';
import { DOCS_OUT_DIR, docsBase } from './site.ts';

const techniques = [
  { text: 'Overview', link: '/techniques/' },
  { text: 'Pruning', link: '/techniques/pruning' },
  { text: 'Decomposition', link: '/techniques/decomposition' },
  { text: 'Quantization', link: '/techniques/quantization' },
  { text: 'Ternary and binary', link: '/techniques/ternary-binary' },
  { text: 'Compact architectures', link: '/techniques/compact-architectures' },
];

const kernels = [
  { text: 'Fast kernels', link: '/kernels/fast-kernels' },
  { text: 'On a real GPU (H100)', link: '/kernels/gpu' },
  { text: 'WASM threads', link: '/kernels/wasm-threads' },
  { text: 'Latency: how it is measured', link: '/kernels/latency' },
  { text: 'Fast training without a GPU', link: '/kernels/training' },
  { text: 'Benchmarks', link: '/kernels/benchmarks' },
];

export default defineConfig({
  title: 'Compression Lab',
  description:
    'Interactive neural-network compression lab: prune, quantize and decompose models in the browser or headless.',
  base: docsBase(),
  // Relative to this folder's parent, docs/: the site lands in dist/docs beside the lab.
  outDir: `../${DOCS_OUT_DIR}`,
  // Dead links fail the build (VitePress's default); anchors are checked by
  // scripts/check-docs-links.ts after the build.
  ignoreDeadLinks: false,
  lastUpdated: false,
  themeConfig: {
    nav: [
      { text: 'Using the page', link: '/using-the-page' },
      { text: 'CLI', link: '/cli-guide' },
      { text: 'Techniques', link: '/techniques/' },
      { text: 'Architecture', link: '/architecture' },
      { text: 'Contributing', link: '/contributing' },
    ],
    sidebar: [
      {
        text: 'Using the lab',
        items: [
          { text: 'Using the page', link: '/using-the-page' },
          { text: 'Guided tours', link: '/tours' },
          { text: 'Deploying', link: '/deploying' },
        ],
      },
      {
        text: 'The CLI',
        items: [
          { text: 'The CLI', link: '/cli-guide' },
          { text: 'Command reference', link: '/cli' },
        ],
      },
      {
        text: 'Recipes and links',
        items: [
          { text: 'Recipes and share links', link: '/recipes' },
          { text: 'Presets', link: '/presets' },
          { text: 'Links keep their numbers', link: '/links-keep-their-numbers' },
          { text: 'Sweeps', link: '/sweeps' },
        ],
      },
      { text: 'Techniques', items: techniques },
      {
        text: 'Your models and data',
        items: [
          { text: 'Data and models', link: '/models-and-data' },
          { text: 'The compact model file', link: '/model-file' },
          { text: 'Compress your PyTorch model', link: '/onnx' },
        ],
      },
      { text: 'Kernels and benchmarks', items: kernels },
      {
        text: 'The code',
        items: [
          { text: 'Architecture', link: '/architecture' },
          { text: 'Contributing', link: '/contributing' },
        ],
      },
    ],
    outline: { level: [2, 3] },
    search: { provider: 'local' },
  },
});
