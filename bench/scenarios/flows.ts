/** The flows the scenarios share. */
import { apiConfig, completionNode } from '../red-runtime';

/** source → create-completion (raw) → sinks on both outputs, and a catch into a sink. */
export function singleNodeFlow(baseUrl: string, api: Record<string, string>): object[] {
  const z = 'bench';
  return [
    { id: z, type: 'tab', label: 'bench' },
    apiConfig('api', baseUrl, api),
    { id: 'source', z, type: 'bench-source', wires: [['cc']] },
    completionNode('cc', 'api', z, [['results'], ['pass']]),
    ...outputSinks(z, 'results'),
  ];
}

/**
 * Where the nodes of a scenario deliver: a sink for results (`results`), one for the
 * passthrough (`pass`), and a Catch node into a sink for errors (`errors`).
 */
export function outputSinks(z: string, results: string): object[] {
  return [
    { id: results, z, type: 'bench-sink', wires: [] },
    { id: 'pass', z, type: 'bench-sink', wires: [] },
    { id: 'catcher', z, type: 'catch', scope: null, uncaught: false, wires: [['errors']] },
    { id: 'errors', z, type: 'bench-sink', wires: [] },
  ];
}
