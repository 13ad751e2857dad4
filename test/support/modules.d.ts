declare module 'node-red-node-test-helper';
declare module '@node-red/nodes/core/common/25-catch.js';
declare module '@node-red/nodes/core/common/24-complete.js';
declare module '@node-red/nodes/core/common/25-status.js';
declare module '@node-red/nodes/core/sequence/17-split.js';
