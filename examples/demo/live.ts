export async function runLive(): Promise<number> {
  return 1;
}
