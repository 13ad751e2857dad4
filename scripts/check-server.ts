/**
 * `npm run check-server -- <base-url> [kind] [model]`: what a server honours of the
 * Create Completion API, the same report as the connection dialog's Check button.
 * A key, if the server wants one, comes from COMPLETION_API_KEY.
 */
import { Connection } from '../nodes/lib/connection/connection';
import { checkServer } from '../nodes/lib/connection/check-server';
import { SERVER_KIND_IDS } from '../nodes/lib/servers/profiles';

const MARK = { true: '✓', false: '✗', null: '–' } as const;

async function main(): Promise<void> {
  const [baseUrl, kind = 'other', model] = process.argv.slice(2);
  if (!baseUrl || baseUrl === '--help') {
    console.log(`usage: npm run check-server -- <base-url> [kind] [model]\n  kind: ${SERVER_KIND_IDS.join(', ')} (default other)\n  COMPLETION_API_KEY: the key, if the server wants one`);
    process.exit(baseUrl ? 0 : 2);
  }
  if (!(SERVER_KIND_IDS as readonly string[]).includes(kind)) throw new Error(`kind must be one of ${SERVER_KIND_IDS.join(', ')}`);
  const connection = Connection.fromConfig({ baseUrl, serverKind: kind, maxRetries: '0' }, { apiKey: process.env.COMPLETION_API_KEY });
  try {
    const report = await checkServer(connection, model);
    console.log(`${connection.settings.baseUrl} as ${connection.settings.kind.label}${report.model ? `, model ${report.model}` : ''}`);
    const width = Math.max(...report.checks.map((c) => c.id.length));
    for (const check of report.checks) console.log(`  ${MARK[String(check.ok) as keyof typeof MARK]} ${check.id.padEnd(width)}  ${check.detail}`);
    if (report.suggestedKind && report.suggestedKind !== report.kind) console.log(`\nThe answers look like ${report.suggestedKind}: try that kind.`);
  } finally {
    connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(`check-server: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
