import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { redactSecrets } from '../../redaction';

/** Tells one person something only they see; a failure to tell them is logged, never thrown into Bolt. */
export async function replyEphemeral(
  client: WebClient,
  logger: Logger,
  channel: string | undefined,
  user: string,
  text: string,
): Promise<void> {
  if (!channel) {
    logger.warn({ user }, 'no channel to answer in');
    return;
  }
  try {
    // Answers quote refusals and the person's own input: redacted like everything else Slack shows.
    await client.chat.postEphemeral({ channel, user, text: (await redactSecrets(text)).value });
  } catch (err) {
    logger.warn({ err: (err as Error).message, user }, 'could not post ephemeral message');
  }
}
