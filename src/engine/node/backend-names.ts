/** The tfjs backends Node has, free of tfjs itself (the CLI's help lists them). */
export const NODE_BACKENDS = ['wasm', 'cpu'] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];
