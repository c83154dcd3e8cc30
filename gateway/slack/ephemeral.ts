import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';

/** Tells one person something only they see; a failure to tell them is logged, never thrown into Bolt. */
export async function replyEphemeral(client: WebClient, logger: Logger, channel: string | undefined, user: string, text: string): Promise<void> {
  if (!channel) {
    logger.warn({ user }, 'no channel to answer in');
    return;
  }
  try {
    await client.chat.postEphemeral({ channel, user, text });
  } catch (err) {
    logger.warn({ err: (err as Error).message, user }, 'could not post ephemeral message');
  }
}
