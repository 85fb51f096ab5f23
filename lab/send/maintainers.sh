#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Who receives the series: .b4-config at the top of the repo.
#
#   maintainers.sh [--tree DIR]        regenerate .b4-config (make maintainers)
#   maintainers.sh --check [--tree DIR] fail when its recipients are out of date
#   maintainers.sh --install DIR       install .b4-config into a kernel tree
#
# Regenerating runs scripts/get_maintainer.pl of a kernel tree (default
# out/send/tree, materialised when missing) on each patch file, with the
# MAINTAINERS file of the base (tag "base"), so the recipients are those of
# Linux 6.1 as it is, not as the series changes it. The lists of the
# MAINTAINERS sections whose name matches $SECTIONS (default "^IOMMU ") go
# to To, their maintainers and reviewers to Cc; whoever else get_maintainer.pl
# names (LKML, Documentation) is listed in a comment and left out.
#
# Installing copies .b4-config into the top of the tree, where b4 looks for
# it, and writes its addresses into the tree's git config (sendemail.to,
# sendemail.cc, plus threading under the cover letter) for git send-email.
. "$(dirname "$0")/../lib/lib.sh"

conf=$B4_CONFIG
SECTIONS=${SECTIONS:-^IOMMU }
work=$LAB_OUT/send
tree=$work/tree
mode=generate
usage="usage: maintainers.sh [--tree DIR] | --check [--tree DIR] | --install DIR"
while [ $# -gt 0 ]; do
	case $1 in
	--tree) tree=$2; shift 2 ;;
	--check) mode=check; shift ;;
	--install) mode=install; tree=${2:?$usage}; shift 2 ;;
	*) die "$usage" ;;
	esac
done

# Addresses of one b4 setting, one per line, parsed as b4 parses them.
addrs() {
	local v
	v=$(git config -f "$conf" "b4.$1") || die "$conf has no b4.$1: run 'make maintainers'"
	python3 -c 'import sys, email.utils as u
for n, a in u.getaddresses([sys.argv[1]]): print(u.formataddr((n, a)))' "$v"
}

if [ "$mode" = install ]; then
	[ -f "$conf" ] || die "no $conf: run 'make maintainers'"
	[ -d "$tree/.git" ] || die "$tree is not a git work tree"
	cp "$conf" "$tree/.b4-config"
	grep -qx '/.b4-config' "$tree/.git/info/exclude" 2>/dev/null ||
		echo '/.b4-config' >>"$tree/.git/info/exclude"
	git -C "$tree" config --unset-all sendemail.to || true
	git -C "$tree" config --unset-all sendemail.cc || true
	while read -r a; do git -C "$tree" config --add sendemail.to "$a"; done < <(addrs send-series-to)
	while read -r a; do git -C "$tree" config --add sendemail.cc "$a"; done < <(addrs send-series-cc)
	git -C "$tree" config sendemail.thread true
	git -C "$tree" config sendemail.chainReplyTo false
	git -C "$tree" config sendemail.suppressCc self
	log "installed .b4-config and sendemail.to/cc into $tree"
	exit 0
fi

[ -d "$tree/.git" ] || FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree"
[ -f "$tree/scripts/get_maintainer.pl" ] || die "$tree has no scripts/get_maintainer.pl: rerun with FORCE=1 lab/tree/tree.sh --tree $tree"
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
mkdir -p "$work"
git --git-dir="$BASE_REPO" show base:MAINTAINERS >"$work/MAINTAINERS.base" ||
	die "cannot read MAINTAINERS of the base from $BASE_REPO: run 'make base'"

# Per patch: who get_maintainer.pl names (names.tsv) and the sections that
# name them (roles.tsv: patch, section, role, address).
: >"$work/names.tsv"
: >"$work/roles.tsv"
getm() { (cd "$tree" && perl scripts/get_maintainer.pl --mpath "$work/MAINTAINERS.base" \
	--no-git --no-git-fallback "$@"); }
while read -r p; do
	i=$(basename "$p" | sed 's/^0*\([0-9][0-9]*\)-.*/\1/')
	getm --no-rolestats "$p" | sed "s/^/$i\t/" >>"$work/names.tsv" ||
		die "get_maintainer.pl failed on $p"
	getm --sections "$p" | awk -v i="$i" -F'\t' '
		/^[A-Z]:\t/ { if ($1 == "M:") r = "maintainer"; else if ($1 == "R:") r = "reviewer";
			else if ($1 == "L:") r = "list"; else next
			a = $2; sub(/ \(.*\)$/, "", a); print i "\t" sec "\t" r "\t" a; next }
		/^$/ { sec = ""; next }
		sec == "" { sec = $0 }' >>"$work/roles.tsv"
done < <(series_patches)
[ -s "$work/names.tsv" ] || die "get_maintainer.pl named nobody: are there patch files in $SERIES_DIR?"

new=$work/b4-config.new
awk -F'\t' -v re="$SECTIONS" -v ver="$BASE_VERSION" -v total="$(series_patches | wc -l)" '
	function key(a) { if (match(a, /<[^>]*>/)) return tolower(substr(a, RSTART + 1, RLENGTH - 2)); return tolower(a) }
	function span(s,   n, k, out, a, b, j) {	# "1 2 3 5" -> "1-3, 5"
		n = split(s, k, " "); out = ""
		if (n == total) return "all patches"
		for (j = 1; j <= n; j = b + 1) {
			a = j; b = j
			while (b < n && k[b + 1] == k[b] + 1) b++
			out = out (out == "" ? "" : ", ") (b > a + 1 ? k[a] "-" k[b] : (b > a ? k[a] ", " k[b] : k[a]))
		}
		return (n > 1 ? "patches " : "patch ") out
	}
	FNR == NR { k = key($4); r = $3 " of " $2
		if (!((k, r) in seen)) { seen[k, r] = 1; roles[k] = roles[k] (roles[k] == "" ? "" : ", ") r }
		if ($2 ~ re) { keep[k] = 1; if ($3 == "list") islist[k] = 1 }
		next }
	{ k = key($2)
	  if (!(k in name)) { name[k] = $2; order[++n] = k }
	  if (!((k, $1) in inp)) { inp[k, $1] = 1; pat[k] = pat[k] " " $1 } }
	END {
		print "# SPDX-License-Identifier: GPL-2.0"
		print "# Recipients of the series, for b4 (which reads .b4-config at the top of a"
		print "# kernel tree) and git send-email: the lab installs this file into the trees"
		print "# it sends from, with its addresses as their sendemail.to and sendemail.cc."
		print "#"
		print "# Generated by lab/send/maintainers.sh (make maintainers): scripts/get_maintainer.pl"
		print "# on each patch, with the MAINTAINERS file of Linux " ver ". The lists of the"
		print "# sections matching \"" re "\" go to To, their maintainers and reviewers to Cc."
		print "# Rerun make maintainers rather than editing this file."
		print "#"
		for (j = 1; j <= n; j++) { k = order[j]; if (k in keep)
			printf "#   %-38s %s (%s)\n", name[k], roles[k], span(substr(pat[k], 2)) }
		head = 0
		for (j = 1; j <= n; j++) { k = order[j]; if (k in keep) continue
			if (!head++) { print "#"; print "# Also named by get_maintainer.pl, outside those sections, left out:" }
			printf "#   %-38s %s (%s)\n", name[k], (k in roles ? roles[k] : "no section"), span(substr(pat[k], 2)) }
		to = cc = ""
		for (j = 1; j <= n; j++) { k = order[j]; if (!(k in keep)) continue
			if (k in islist) to = to (to == "" ? "" : ", ") name[k]
			else cc = cc (cc == "" ? "" : ", ") name[k] }
		print ""
		print "[b4]"
		print "\tsend-series-to = " to
		print "\tsend-series-cc = " cc
	}' "$work/roles.tsv" "$work/names.tsv" >"$new"
grep -q '^	send-series-to = .' "$new" ||
	die "no list found in the sections matching '$SECTIONS' (see $work/roles.tsv)"

# --check compares the settings; comments that are out of date only get a note.
if [ "$mode" = check ]; then
	if ! diff -u --label "$conf" --label "get_maintainer.pl now" \
		<(git config -f "$conf" --list) <(git config -f "$new" --list); then
		log "the recipients in $conf are out of date (diff above): run 'make maintainers', review and commit it"
		exit 1
	fi
	cmp -s "$conf" "$new" || log "note: the comments of $conf are out of date: 'make maintainers' refreshes them"
	log "the recipients in $conf are those get_maintainer.pl gives"
	exit 0
fi
if cmp -s "$new" "$conf"; then
	log "$conf is up to date"
else
	cp "$new" "$conf"
	log "wrote $conf:"
	sed -n '/^\[b4\]/,$p' "$conf" >&2
fi
