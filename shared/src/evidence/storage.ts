import { Storage } from '@google-cloud/storage';

/** A Storage client; `apiEndpoint` points it at fake-gcs-server locally (never STORAGE_EMULATOR_HOST). */
export function createStorage(projectId: string, apiEndpoint: string | undefined): Storage {
  return apiEndpoint
    ? new Storage({ projectId, apiEndpoint, useAuthWithCustomEndpoint: false })
    : new Storage({ projectId });
}
