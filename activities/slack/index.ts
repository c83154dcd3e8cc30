export { createSlackClient, classifySlackError, slackCall, messageRef, parseMessageRef } from './client';
export { SlackNotifier } from './notifier';
export { slackGroupMembers } from './usergroups';
export * from './messages';
