import { open } from 'node:fs/promises';

/** fsync a directory, making the creation, rename or removal of its entries durable. */
export async function fsyncDirectory(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
