import { runGoBinaryInstaller } from './go-binary';
import { minio } from './minio-binary';

runGoBinaryInstaller(minio);
