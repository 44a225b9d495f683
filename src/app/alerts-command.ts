import type { AlertService } from '../alerts/alert-service.js';
import { renderAlertSummaryCard } from '../alerts/alert-summary-card.js';
import type { SubcommandSpec } from '../chat/command-router.js';
import type { Directory } from '../config/directory.js';
import { NotAuthorisedError } from '../errors.js';

/** `/kv alerts`: the open alerts, most severe and most recent first. Viewers and responders only. */
export function alertsCommand(alerts: AlertService, directory: Directory): SubcommandSpec {
  return {
    name: 'alerts',
    usage: 'alerts',
    summary: 'list open alerts',
    async run({ actor }) {
      const person = directory.resolve(actor);
      if (!directory.hasRole(person, 'viewer') && !directory.hasRole(person, 'responder'))
        throw new NotAuthorisedError(person.name, 'viewer', 'list alerts');
      const open = await alerts.listOpen();
      if (open.length === 0) return { text: 'No open alerts.', ephemeral: true };
      const card = renderAlertSummaryCard(open);
      return { card, text: card.text, ephemeral: true };
    },
  };
}
