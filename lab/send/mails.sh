#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Turn the patch files into mails from a sender: the sender becomes the
# author and adds a Signed-off-by from their own identity.
#
#   mails.sh --identity "Name <email>" --to DIR
#
# The patch files carry the lab's placeholder author and no sign-off: nobody
# signs off on a patch by proxy. Whoever sends the series certifies it.
. "$(dirname "$0")/../lib/lib.sh"

ident=
to=
while [ $# -gt 0 ]; do
	case $1 in
	--identity) ident=$2; shift 2 ;;
	--to) to=$2; shift 2 ;;
	*) die "usage: mails.sh --identity 'Name <email>' --to DIR" ;;
	esac
done
[ -n "$to" ] || die "usage: mails.sh --identity 'Name <email>' --to DIR"
case $ident in
*" <"*@*">") ;;
*) die "identity '$ident' is not of the form 'Name <email>'" ;;
esac

mkdir -p "$to"
find "$to" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' -delete
for p in "$SERIES_DIR"/0000-cover-letter.patch $(series_patches); do
	[ -f "$p" ] || continue
	python3 - "$p" "$ident" "$LAB_NAME <$LAB_EMAIL>" >"$to/$(basename "$p")" <<'PY'
import sys
path, ident, lab = sys.argv[1:4]
lines = open(path, encoding="utf-8").read().split("\n")
out, in_hdr, signed = [], True, False
cover = "/0000-" in path
for i, line in enumerate(lines):
    if in_hdr:
        if line == "From: " + lab:
            line = "From: " + ident
        elif line == "":
            in_hdr = False
        out.append(line)
        continue
    # The cover letter's shortlog groups the patches under their author.
    lab_name, name = lab.split(" <")[0], ident.split(" <")[0]
    if cover and line.startswith(lab_name + " (") and line.endswith("):"):
        line = name + line[len(lab_name):]
    if not cover and not signed and line == "---":
        # Trailers form the last paragraph of the message.
        last = out[-1] if out else ""
        if last and not (":" in last and last.split(":")[0].replace("-", "").isalpha()):
            out.append("")
        out.append("Signed-off-by: " + ident)
        signed = True
    out.append(line)
sys.stdout.write("\n".join(out))
PY
done
log "wrote $(find "$to" -maxdepth 1 -name '*.patch' | wc -l) mails from $ident to $to"
