/**
 * The demo playbook's harmless "world": services that can be quarantined, one small JSON file
 * each, and an append-only log of every change actually made (tests count it to prove an action
 * ran exactly once).
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DemoService {
  name: string;
  quarantined: boolean;
  quarantinedBy?: string;
  since?: string;
  replicas: number;
}

export class DemoWorld {
  constructor(readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, 'services', `${encodeURIComponent(name)}.json`);
  }

  get actionLog(): string {
    return join(this.dir, 'actions.log');
  }

  async read(name: string): Promise<DemoService> {
    try {
      return JSON.parse(await readFile(this.file(name), 'utf8')) as DemoService;
    } catch {
      return { name, quarantined: false, replicas: 3 };
    }
  }

  async write(service: DemoService, change: string, incidentId: string): Promise<void> {
    await mkdir(join(this.dir, 'services'), { recursive: true });
    const target = this.file(service.name);
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(service, null, 2));
    await rename(tmp, target);
    await appendFile(this.actionLog, `${JSON.stringify({ at: new Date().toISOString(), incidentId, service: service.name, change })}\n`);
  }

  async actions(): Promise<{ incidentId: string; service: string; change: string }[]> {
    try {
      const text = await readFile(this.actionLog, 'utf8');
      return text
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    } catch {
      return [];
    }
  }
}
