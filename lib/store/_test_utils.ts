/**
 * Test helpers for storage failures that need the operating system's help:
 * a path nobody may write (`chattr +i`, which holds for root too) and a tiny
 * disk (a tmpfs of a few megabytes). Both need root, as CI runs; elsewhere
 * the tests that use them skip, and fail under `WB_REQUIRE_TOOLS=1`.
 *
 * @module
 */

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(cmd, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/** Why these helpers cannot work here, or undefined when they can. */
export async function osToolsMissing(): Promise<string | undefined> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/probe`, "x");
    if (!await run("chattr", ["+i", `${dir}/probe`])) {
      return "chattr +i is not available (needs root and a file system with immutable files)";
    }
    await run("chattr", ["-i", `${dir}/probe`]);
    await Deno.mkdir(`${dir}/mnt`);
    if (
      !await run("mount", [
        "-t",
        "tmpfs",
        "-o",
        "size=1m",
        "tmpfs",
        `${dir}/mnt`,
      ])
    ) {
      return "mount -t tmpfs is not permitted (needs root)";
    }
    await run("umount", [`${dir}/mnt`]);
    return undefined;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Makes a file or directory immutable until disposed: no process, root included, may write it. */
export async function immutable(path: string): Promise<AsyncDisposable> {
  if (!await run("chattr", ["+i", path])) {
    throw new Error(`Cannot make "${path}" immutable with chattr +i`);
  }
  return {
    async [Symbol.asyncDispose]() {
      await run("chattr", ["-i", path]);
    },
  };
}

/** A tmpfs of `megabytes` mounted on a new temporary directory, removed when disposed. */
export async function tinyDisk(
  megabytes: number,
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "wb_tiny_disk_" });
  if (
    !await run("mount", [
      "-t",
      "tmpfs",
      "-o",
      `size=${megabytes}m`,
      "tmpfs",
      path,
    ])
  ) {
    await Deno.remove(path);
    throw new Error(`Cannot mount a tmpfs on "${path}"`);
  }
  return {
    path,
    async [Symbol.asyncDispose]() {
      await run("umount", ["-l", path]);
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Fills a disk with a ballast file until it is full; removing the file frees it. */
export async function fillDisk(dir: string): Promise<string> {
  const path = `${dir}/ballast`;
  const file = await Deno.open(path, { write: true, create: true });
  const chunk = new Uint8Array(64 * 1024);
  try {
    for (;;) await file.write(chunk);
  } catch (error) {
    if (
      !(error instanceof Error) ||
      !/No space left|os error 28/.test(error.message)
    ) throw error;
  } finally {
    file.close();
  }
  return path;
}
