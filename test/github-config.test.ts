/** GitHub settings from the environment, and how they reach the activities. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../worker/config';
import { activityDepsFromConfig } from '../worker/worker';
import { createLogger } from '../worker/logger';

const token = `ghs_${'a'.repeat(36)}`;

describe('GitHub configuration', () => {
  it('is off without GITHUB_TOKEN, and on with it (api.github.com unless GITHUB_API_URL says otherwise)', () => {
    expect(loadConfig({}).github).toBeUndefined();
    expect(loadConfig({ GITHUB_TOKEN: token }).github).toEqual({ token, apiUrl: 'https://api.github.com' });
    expect(loadConfig({ GITHUB_TOKEN: token, GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).github).toEqual({
      token,
      apiUrl: 'https://ghe.example.com/api/v3',
    });
  });

  it('names the variable when a value is wrong, without echoing the token', () => {
    expect(() => loadConfig({ GITHUB_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ GITHUB_TOKEN: 'short' })).toThrow(/GITHUB_TOKEN/);
    const err = (() => {
      try {
        loadConfig({ GITHUB_TOKEN: `${token} with spaces` });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toMatch(/GITHUB_TOKEN/);
    expect(err).not.toContain(token);
    expect(() => loadConfig({ GITHUB_TOKEN: token, GITHUB_API_URL: 'not a url' })).toThrow(/GITHUB_API_URL/);
  });

  it("reaches the activities through the worker's dependencies", () => {
    const logger = createLogger('silent');
    expect(activityDepsFromConfig(loadConfig({}), logger).github).toBeUndefined();
    const deps = activityDepsFromConfig(loadConfig({ GITHUB_TOKEN: token, GITHUB_API_URL: 'http://127.0.0.1:9/' }), logger);
    expect(deps.github?.clients.apiUrl).toBe('http://127.0.0.1:9');
    expect(deps.github?.revokers.map((r) => r.name)).toEqual(['github-token', 'deploy-key', 'aws-access-key', 'slack-token']);
  });
});
