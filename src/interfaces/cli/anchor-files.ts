import { createPrivateKey, createPublicKey, KeyObject, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Anchor, generateAnchorKeyPair, parseAnchor } from '../../application/gdpr/anchor';

/** Bytes gathered before each write of a file written in pieces. */
const WRITE_CHUNK_BYTES = 1 << 16;

/**
 * Writes a file so that it is either absent or complete, whatever happens meanwhile (kill -9, power cut): the
 * text goes to a temporary file in the same directory, is fsynced, then renamed over the target, and the
 * directory is fsynced so that the rename itself is durable. A process killed midway leaves only its
 * `.<name>.<pid>.<random>.tmp` file behind, which is safe to delete.
 */
export async function writeFileAtomically(file: string, pieces: Iterable<string>): Promise<void> {
  const target = resolve(file);
  const directory = dirname(target);
  const temporary = join(
    directory,
    `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  const handle = await open(temporary, 'wx', 0o644);
  try {
    let gathered: string[] = [];
    let size = 0;
    for (const piece of pieces) {
      gathered.push(piece);
      size += piece.length;
      if (size < WRITE_CHUNK_BYTES) continue;
      await writeAll(handle, gathered.join(''));
      gathered = [];
      size = 0;
    }
    await writeAll(handle, gathered.join(''));
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, target);
  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
}

async function writeAll(handle: FileHandle, text: string): Promise<void> {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, offset);
    offset += bytesWritten;
  }
}

/** An anchor file, checked for shape; its signature is checked when the log is verified against it. */
export function readAnchorFile(file: string): Anchor {
  try {
    return parseAnchor(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/** The anchor signing key: an Ed25519 private key in PEM. */
export function readSigningKey(file: string): KeyObject {
  try {
    return createPrivateKey(readFileSync(file));
  } catch (error) {
    throw new Error(
      `the anchor key ${file} cannot be read as a PEM private key: ${(error as Error).message}`,
    );
  }
}

/** A public key to check anchors with, from a public key PEM or derived from the private key PEM. */
export function readVerifyingKey(file: string): KeyObject {
  try {
    return createPublicKey(readFileSync(file));
  } catch (error) {
    throw new Error(`${file} cannot be read as a PEM public or private key: ${(error as Error).message}`);
  }
}

/**
 * Makes an anchor key pair: the private key readable by its owner only, the public key for verifiers. Never
 * replaces an existing file: a lost signing key would make every anchor made with it unverifiable by the
 * key's holder.
 */
export function writeAnchorKeyPair(
  privateKeyFile: string,
  publicKeyFile: string,
): { keyId: string; publicKeyPem: string } {
  const existing = [privateKeyFile, publicKeyFile].filter((file) => existsSync(file));
  if (existing.length > 0) throw new Error(`${existing.join(' and ')} already exist: not replaced`);
  const { privateKeyPem, publicKeyPem, keyId } = generateAnchorKeyPair();
  writeFileSync(privateKeyFile, privateKeyPem, { mode: 0o600, flag: 'wx' });
  writeFileSync(publicKeyFile, publicKeyPem, { mode: 0o644, flag: 'wx' });
  return { keyId, publicKeyPem };
}
