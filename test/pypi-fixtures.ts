/** Distributions for PyPI tests: wheels (zips with METADATA) and sdists (with PKG-INFO). */
import { zip } from "./zip-builder";
import { gzip, tar, type TarEntry } from "./tar-builder";

export const coreMetadata = (name: string, version: string, extra = "Requires-Python: >=3.8\n") =>
  `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\n${extra}\nhello\n`;

/** A wheel as bdist_wheel lays it out: the package, then `<name>-<version>.dist-info/`. */
export async function wheelZip(name = "Demo.Pkg", version = "1.0.0", metadata = coreMetadata(name, version)) {
  const dir = `${name.replace(/[-_.]+/g, "_")}-${version}.dist-info`;
  return zip([
    { name: "demo_pkg/__init__.py", data: "VALUE = 42\n", deflate: true },
    { name: `${dir}/METADATA`, data: metadata, deflate: true },
    { name: `${dir}/WHEEL`, data: "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n" },
    { name: `${dir}/RECORD`, data: "" },
  ]);
}

export function sdistEntries(name = "Demo.Pkg", version = "1.0.0", pkgInfo = coreMetadata(name, version)): TarEntry[] {
  const dir = `${name}-${version}`;
  return [
    { name: `${dir}/`, type: "5" },
    { name: `${dir}/demo_pkg/__init__.py`, data: "VALUE = 42\n" },
    { name: `${dir}/setup.py`, data: "from setuptools import setup\nsetup()\n" },
    { name: `${dir}/PKG-INFO`, data: pkgInfo },
  ];
}

/** A `.tar.gz` sdist as setuptools writes it. */
export const sdistTarGz = (name?: string, version?: string, pkgInfo?: string) => gzip(tar(sdistEntries(name, version, pkgInfo)));

/** A `.zip` sdist. */
export const sdistZip = (name?: string, version?: string, pkgInfo?: string) =>
  zip(sdistEntries(name, version, pkgInfo).filter((e) => e.type !== "5").map((e) => ({ name: e.name, data: e.data ?? "", deflate: true })));
