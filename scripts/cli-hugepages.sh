#!/usr/bin/env bash
# cli-hugepages.sh CLI: prints the path of a copy of the executable CLI (a
# path, or a name on PATH) on a tmpfs that maps files with huge pages
# (2 MiB), or else CLI's own path, when no such copy can be made. make
# testacc runs the acceptance tests with what it prints.
#
# Why: an acceptance run starts the CLI about a thousand times, and each
# process costs mostly its start-up, in page faults and TLB misses over a
# binary of about 100 MiB, which a virtual machine's paging makes dear.
# Run from huge pages, make test took 13 % less CPU and wall time
# (DESIGN.md, Tests, has the figures). Only root can mount the tmpfs;
# elsewhere, where the kernel has no huge pages for tmpfs, or with
# TEST_CLI_HUGEPAGES=0, CLI is used as it is. The tmpfs stays mounted for
# the next run, at ~/.cache/terraform-provider-astral/cli-hugepages, one
# copy per CLI path; `umount` it to free its memory.
set -uo pipefail

cli=${1:?usage: cli-hugepages.sh CLI}
cli=$(realpath "$(command -v "$cli")" 2>/dev/null || printf '%s' "$cli")
as_it_is() {
  printf '%s\n' "$cli"
  exit 0
}
[[ ${TEST_CLI_HUGEPAGES:-1} != 0 && $(uname -s) == Linux && $EUID == 0 && -x $cli ]] || as_it_is
command -v flock >/dev/null && command -v mountpoint >/dev/null || as_it_is

dir=${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-astral/cli-hugepages
mkdir -p "$dir" || as_it_is
# The acceptance runs of make test start at the same time: one mounts.
exec 9>"$dir.lock" && flock 9 || as_it_is
if ! mountpoint -q "$dir"; then
  mount -t tmpfs -o huge=always,size=2G,mode=0700 astral-test-cli "$dir" 2>/dev/null || as_it_is
fi

copy=$dir/$(basename "$cli")-$(printf '%s' "$cli" | sha256sum | cut -c1-12)
if ! cmp -s "$cli" "$copy"; then
  # A rename, so that a run using the previous copy keeps it whole.
  cp "$cli" "$copy.new" && mv -f "$copy.new" "$copy" || {
    rm -f "$copy.new"
    as_it_is
  }
fi
printf '%s\n' "$copy"
