// Everything that is not a completion: model lists, side endpoints, unknown paths.

import type { DialectRules, Incoming } from '../dialects/types';
import type { Exchange, Responder } from './responder';

export function answerOther(rules: DialectRules, responder: Responder, ex: Exchange, incoming: Incoming, method: string, pathname: string): void {
  const route = ex.route;
  switch (route.kind) {
    case 'models':
      return responder.reply(ex, rules.models());
    case 'model':
      return responder.reply(ex, rules.model(route.modelId ?? ''));
    case 'endpoint':
      if (rules.endpoint) return responder.reply(ex, rules.endpoint(route, incoming));
      return responder.reply(ex, rules.notFound(method, pathname));
    default:
      return responder.reply(ex, rules.notFound(method, pathname));
  }
}
