import { runGoBinaryInstaller } from './go-binary';
import { alertmanager } from './alertmanager-binary';

runGoBinaryInstaller(alertmanager);
