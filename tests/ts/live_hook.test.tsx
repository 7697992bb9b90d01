// Copied by tests/test_scaffold_postgres.py into a generated tree: the generated hook against the
// generated endpoint, served by uvicorn on a real PostgreSQL at LIVE_WS_URL, with a real WebSocket.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { renderHook, waitFor } from '@testing-library/react';
import type { ReactNode } from 'react';
import { expect, test, vi } from 'vitest';

import { plannedFeaturesQueryKey, usePlannedFeatureWebSocket } from './usePlannedFeatureWebSocket';

vi.mock('../config/api', () => ({
  apiConfig: { websocket: { plannedFeatures: () => process.env.LIVE_WS_URL } },
}));

test('follows the table through the snapshot, upserts and deletes the endpoint sends', async () => {
  const queryClient = new QueryClient();
  const wrapper = ({ children }: { children: ReactNode }) => (
    <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
  );
  const hook = renderHook(() => usePlannedFeatureWebSocket(), { wrapper });
  await waitFor(() => expect(hook.result.current.isConnected).toBe(true), { timeout: 20_000 });
  // The server then inserts kept, doomed and named, renames named and deletes doomed.
  const titles = (): string[] => hook.result.current.data.map((row) => row.title).sort();
  await waitFor(() => expect(titles()).toEqual(['kept', 'renamed']), { timeout: 40_000 });
  expect(hook.result.current.stale).toBe(false);
  expect(queryClient.getQueryData(plannedFeaturesQueryKey)).toEqual(hook.result.current.data);
  hook.unmount();
}, 60_000);
