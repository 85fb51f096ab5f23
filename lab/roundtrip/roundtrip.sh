#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Round trip through mail (make roundtrip; run by make check).
#
#   roundtrip.sh [--results FILE]
#
# Sends the series the way make send does, as "Lab Check
# <lab-check@example.org>", but to an SMTP server of ours (lab/roundtrip/smtpd.py,
# Debian's python3-aiosmtpd) on 127.0.0.1, then does what a maintainer does
# with the mails: git am onto a pristine base. Checks that
#   - git send-email delivers the cover letter and every patch;
#   - they are [PATCH 0/N] .. [PATCH N/N], the patches replies to the cover;
#   - To and Cc are those of .b4-config (installed into the sending tree,
#     where b4 finds it too), the sender not copied;
#   - each commit is authored and signed off (once) by the sender;
#   - the tree after git am is the materialised series tree, and the commit
#     messages are those of the patch files plus the sign-off.
# Each check appends "PASS|FAIL round trip: ..." to FILE (default
# out/roundtrip/results, emptied first); exits non-zero when one fails.
# Works in out/roundtrip: series-tree (sends), base (receives), inbox.
#
# git runs with the user's global and system config hidden, so that their
# sendemail.smtpUser, smtpServer, cc etc. can neither change the test nor
# send anything anywhere but to 127.0.0.1.
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
work=$LAB_OUT/roundtrip
results=
while [ $# -gt 0 ]; do
	case $1 in
	--results) results=$2; shift 2 ;;
	*) die "usage: roundtrip.sh [--results FILE]" ;;
	esac
done
mkdir -p "$work"
if [ -z "$results" ]; then
	results=$work/results
	: >"$results"
fi
ident="Lab Check <lab-check@example.org>"
limit=${ROUNDTRIP_TIMEOUT:-60}	# seconds for the server to start, and for git send-email
pyth=/usr/bin/python3	# Debian's, which has python3-aiosmtpd (not a pyenv one)

npass=0
nfail=0
pass() { echo "PASS round trip: $*" >>"$results"; log "PASS round trip: $*"; npass=$((npass + 1)); }
fail() { echo "FAIL round trip: $*" >>"$results"; log "FAIL round trip: $*"; nfail=$((nfail + 1)); }
finish() {
	log "round trip: $npass passed, $nfail failed (results: $results)"
	[ "$nfail" -eq 0 ] && exit 0
	exit 1
}
# A step that the remaining checks need failed: say why and stop.
abort() { fail "$1"; shift; printf '[lab] %s\n' "$@" >&2; finish; }

# Runs git without the user's global and system config: clean git ...
clean=(env -u GIT_CONFIG_PARAMETERS -u GIT_CONFIG_COUNT
	-u GIT_AUTHOR_NAME -u GIT_AUTHOR_EMAIL -u GIT_AUTHOR_DATE
	-u GIT_COMMITTER_NAME -u GIT_COMMITTER_EMAIL -u GIT_COMMITTER_DATE
	GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1)

# The value of a mail header, unfolded; empty when absent.
hdr() {
	awk -v want="$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')" '
		/^$/ { exit }
		/^[ \t]/ { if (on) { t = $0; sub(/^[ \t]+/, " ", t); val = val t }; next }
		{ if (on) exit; c = index($0, ":")
		  if (tolower(substr($0, 1, c - 1)) == want) { on = 1; val = substr($0, c + 1); sub(/^[ \t]+/, "", val) } }
		END { if (on) print val }' "$1"
}
# Mail addresses of header values or b4 settings, lower case, sorted, one line.
addr_set() {
	"$pyth" -c 'import sys, email.utils as u
print(" ".join(sorted({a.lower() for n, a in u.getaddresses(sys.argv[1:]) if a})))' "$@"
}

if ! (need_pkgs git-email python3-aiosmtpd b4) || [ ! -x "$pyth" ]; then
	abort "needs Debian's git-email, python3-aiosmtpd and b4" \
		"install them: apt-get update && apt-get install git-email python3-aiosmtpd b4"
fi
"$pyth" -c 'import aiosmtpd' 2>/dev/null ||
	abort "needs aiosmtpd in $pyth" "reinstall it: apt-get install --reinstall python3-aiosmtpd"

# 1. The sending side: a materialised series tree with .b4-config installed,
#    and the mails from the test identity.
log "materialising $work/series-tree"
FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$work/series-tree" >"$work/tree.log" 2>&1 ||
	abort "the series applies to the base" "see $work/tree.log"
"$LAB_DIR/send/maintainers.sh" --install "$work/series-tree" 2>"$work/install.log" ||
	abort "install .b4-config into the sending tree" "see $work/install.log"
"$LAB_DIR/send/mails.sh" --identity "$ident" --to "$work/mails" 2>"$work/mails.log" ||
	abort "write the mails" "see $work/mails.log"
mapfile -t mails < <(find "$work/mails" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' | sort)
n=$(series_patches | wc -l)
[ "$n" -gt 0 ] && [ "${#mails[@]}" -eq $((n + 1)) ] ||
	abort "write the mails" "expected a cover letter and $n patches in $work/mails, found ${#mails[@]} files"

to_raw=$(git config -f "$B4_CONFIG" b4.send-series-to || true)
cc_raw=$(git config -f "$B4_CONFIG" b4.send-series-cc || true)
want_to=$(addr_set "$to_raw")
want_cc=$(addr_set "$cc_raw")
want_all=$(addr_set "$to_raw" "$cc_raw")
b4_says=$(cd "$work/series-tree" && "$pyth" -c 'import b4, sys
c = b4.get_main_config()
print(c.get("send-series-to") or ""); print(c.get("send-series-cc") or "")' 2>"$work/b4.log") || true
if [ "$(addr_set "$(sed -n 1p <<<"$b4_says")")" = "$want_to" ] &&
	[ "$(addr_set "$(sed -n 2p <<<"$b4_says")")" = "$want_cc" ] && [ -n "$want_to" ]; then
	pass "b4 reads To and Cc from .b4-config in the sending tree"
else
	fail "b4 reads To and Cc from .b4-config in the sending tree (b4 says: $(tr '\n' ';' <<<"$b4_says"); see $work/b4.log)"
fi

# 2. The server, on a free port of 127.0.0.1; always stopped on the way out.
rm -rf "$work/inbox" "$work/smtpd.port"
srv=
stop_server() {
	if [ -n "$srv" ] && kill -0 "$srv" 2>/dev/null; then
		kill -TERM "$srv" 2>/dev/null || true
		wait "$srv" 2>/dev/null || true
	fi
	srv=
}
trap stop_server EXIT
trap 'exit 130' INT TERM
"$pyth" "$here/smtpd.py" --dir "$work/inbox" --port-file "$work/smtpd.port" \
	--port "${SMTP_PORT:-0}" --max-seconds $((limit * 3)) >"$work/smtpd.log" 2>&1 &
srv=$!
for _ in $(seq $((limit * 10))); do
	[ -s "$work/smtpd.port" ] && break
	kill -0 "$srv" 2>/dev/null || break
	sleep 0.1
done
[ -s "$work/smtpd.port" ] || abort "start an SMTP server on 127.0.0.1" \
	"lab/roundtrip/smtpd.py is not listening (waited up to $limit s): $(tail -n 3 "$work/smtpd.log" | tr '\n' ' ')" \
	"a busy SMTP_PORT? leave it unset to take a free port; no loopback interface? (ip addr show lo)"
port=$(cat "$work/smtpd.port")
log "SMTP server on 127.0.0.1:$port (pid $srv), mails into $work/inbox"

# 3. Send, as make send does, from the tree with .b4-config installed.
log "cd $work/series-tree && git send-email --confirm=never --from='$ident' --smtp-server=127.0.0.1 --smtp-server-port=$port --smtp-encryption=none --smtp-domain=localhost $work/mails/*.patch"
if ! (cd "$work/series-tree" && timeout "$limit" "${clean[@]}" git send-email --confirm=never \
	--from="$ident" --smtp-server=127.0.0.1 --smtp-server-port="$port" --smtp-encryption=none \
	--smtp-domain=localhost "${mails[@]}") \
	</dev/null >"$work/send-email.log" 2>&1; then
	tail -n 15 "$work/send-email.log" >&2
	abort "git send-email delivers the mails to 127.0.0.1" "see $work/send-email.log"
fi
for _ in $(seq 100); do	# git send-email is done: all that will come is there, or about to be
	[ "$(find "$work/inbox" -maxdepth 1 -name '*.eml' | wc -l)" -ge $((n + 1)) ] && break
	sleep 0.1
done
stop_server
mapfile -t got < <(find "$work/inbox" -maxdepth 1 -name '*.eml' | sort)
if [ "${#got[@]}" -eq $((n + 1)) ]; then
	pass "git send-email delivers $((n + 1)) mails to an SMTP server on 127.0.0.1"
else
	abort "git send-email delivers $((n + 1)) mails to an SMTP server on 127.0.0.1 (received ${#got[@]})" \
		"see $work/send-email.log and $work/smtpd.log"
fi

# 4. The mails as received: numbering, threading, recipients.
declare -A bynum=()
problems=()
cover_id=
for f in "${got[@]}"; do
	subj=$(hdr "$f" Subject)
	if [[ $subj =~ ^\[PATCH\ ([0-9]+)/([0-9]+)\]\  ]] && [ "${BASH_REMATCH[2]}" -eq "$n" ]; then
		i=$((10#${BASH_REMATCH[1]}))
		[ -z "${bynum[$i]:-}" ] || problems+=("two mails numbered $i/$n")
		bynum[$i]=$f
	else
		problems+=("$(basename "$f"): subject '$subj' is not [PATCH i/$n]")
	fi
done
for i in $(seq 0 "$n"); do
	[ -n "${bynum[$i]:-}" ] || problems+=("no mail [PATCH $i/$n]")
done
if [ -n "${bynum[0]:-}" ]; then
	cover_id=$(hdr "${bynum[0]}" Message-Id)
	[ -z "$(hdr "${bynum[0]}" In-Reply-To)" ] || problems+=("the cover letter replies to something")
fi
for i in $(seq 1 "$n"); do
	f=${bynum[$i]:-}
	[ -n "$f" ] && [ -n "$cover_id" ] || continue
	[ "$(hdr "$f" In-Reply-To)" = "$cover_id" ] || problems+=("patch $i is not a reply to the cover letter")
done
if [ ${#problems[@]} -eq 0 ]; then
	pass "the mails are [PATCH 0/$n]..[PATCH $n/$n], each patch a reply to the cover letter"
else
	fail "the mails are [PATCH 0/$n]..[PATCH $n/$n], each patch a reply to the cover letter: ${problems[*]}"
fi

# The Cc: trailers of a patch's message (e.g. stable@ on a fix), which git
# send-email adds to that mail's recipients, as a maintainer expects.
trailer_cc() {
	awk 'b == 0 && /^$/ { b = 1; next } b && /^---$/ { exit }
		b && /^Cc: / { sub(/^Cc: /, ""); print }' "$1" | paste -sd, -
}
problems=()
for f in "${got[@]}"; do
	b=$(basename "$f")
	extra=$(trailer_cc "$f")
	[ "$(addr_set "$(hdr "$f" To)")" = "$want_to" ] || problems+=("$b To: $(hdr "$f" To)")
	[ "$(addr_set "$(hdr "$f" Cc)")" = "$(addr_set "$cc_raw" "$extra")" ] || problems+=("$b Cc: $(hdr "$f" Cc)")
	[ "$(addr_set "$(hdr "$f" From)")" = "lab-check@example.org" ] || problems+=("$b From: $(hdr "$f" From)")
	! grep -q "^$LAB_NAME (\|$LAB_EMAIL" "$f" || problems+=("$b names the placeholder author $LAB_NAME")
	rcpt=$(sed -n "s/^$b MAIL FROM:<[^>]*> RCPT TO://p" "$work/inbox/envelopes.txt" | tr -d '<>')
	[ "$(addr_set "$rcpt")" = "$(addr_set "$to_raw" "$cc_raw" "$extra")" ] || problems+=("$b envelope recipients: $rcpt")
done
if [ -z "$want_to" ]; then
	fail "To and Cc of the mails are those of .b4-config: .b4-config has no recipients"
elif [ ${#problems[@]} -eq 0 ]; then
	pass "To and Cc of the mails are those of .b4-config (and a patch's own Cc: trailers), the sender not copied, no placeholder author"
else
	fail "To and Cc of the mails are those of .b4-config: ${problems[*]}"
fi

# 5. What a maintainer does: git am the patches onto a pristine base.
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
base=$work/base
# Only the files the series touches are checked out (a sparse checkout):
# git am needs no others, and the whole tree is 1.2 GB to write.
mapfile -t touched < <(git -C "$work/series-tree" diff --name-only "$BASE_COMMIT" "$SERIES_BRANCH")
if [ -d "$base/.git" ]; then
	git -C "$base" am --abort >/dev/null 2>&1 || true
	git -C "$base" fetch -q "$BASE_REPO" "+refs/tags/base:refs/tags/base"
	git -C "$base" sparse-checkout set --no-cone "${touched[@]/#//}"
	git -C "$base" checkout -q -f -B roundtrip base
	git -C "$base" clean -q -fdx
else
	need_space "$work" 2500
	log "cloning the base into $base"
	git clone -q --no-checkout "$BASE_REPO" "$base" ||
		abort "clone the base" "could not clone $BASE_REPO into $base (disk full? df -h $work)"
	git -C "$base" sparse-checkout set --no-cone "${touched[@]/#//}"
	git -C "$base" checkout -q -B roundtrip base
fi
[ "$(git -C "$base" rev-parse HEAD)" = "$BASE_COMMIT" ] ||
	abort "check out the pristine base" "tag base of $BASE_REPO is not $BASE_COMMIT: run 'make base'"
git -C "$base" config user.name "Lab Check"
git -C "$base" config user.email "lab-check@example.org"
order=()
for i in $(seq 1 "$n"); do
	[ -n "${bynum[$i]:-}" ] || abort "git am of the mails gives the series tree (no mail [PATCH $i/$n])" "see $work/inbox"
	order+=("${bynum[$i]}")
done
log "cd $base && git am <the $n patch mails in series order>"
if ! "${clean[@]}" git -C "$base" am "${order[@]}" >"$work/am.log" 2>&1; then
	cat "$work/am.log" >&2
	git -C "$base" am --abort >/dev/null 2>&1 || true
	abort "git am of the mails gives the series tree (git am failed: $(grep -m1 '^Patch failed at' "$work/am.log" || echo see log))" "see $work/am.log"
fi
mapfile -t mine < <(git -C "$base" rev-list --reverse "$BASE_COMMIT..HEAD")
mapfile -t theirs < <(git -C "$work/series-tree" rev-list --reverse "$BASE_COMMIT..$SERIES_BRANCH")

# 6. The result.
want_tree=$(git -C "$work/series-tree" rev-parse "$SERIES_BRANCH^{tree}")
have_tree=$(git -C "$base" rev-parse "HEAD^{tree}")
if [ "$have_tree" = "$want_tree" ] && [ "${#mine[@]}" -eq "$n" ]; then
	pass "git am of the mails gives the series tree ($n commits)"
else
	git -C "$base" fetch -q "$work/series-tree" "+$SERIES_BRANCH:refs/remotes/series-tree/$SERIES_BRANCH"
	git -C "$base" diff --stat "refs/remotes/series-tree/$SERIES_BRANCH" HEAD >"$work/tree.diff" 2>&1 || true
	fail "git am of the mails gives the series tree (${#mine[@]} commits, tree $have_tree, want $want_tree; see $work/tree.diff)"
fi

problems=()
trim() { sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'; }	# drop trailing blank lines
for i in $(seq 1 "$n"); do
	c=${mine[$((i - 1))]:-}
	[ -n "$c" ] || { problems+=("no commit $i"); continue; }
	author=$(git -C "$base" log -1 --format='%an <%ae>' "$c")
	[ "$author" = "$ident" ] || problems+=("commit $i author '$author'")
	msg=$(git -C "$base" log -1 --format=%B "$c")
	sobs=$(grep -c '^Signed-off-by:' <<<"$msg" || true)
	trailer=$(git -C "$base" log -1 --format='%(trailers:key=Signed-off-by,valueonly)' "$c" | sed '/^$/d')
	[ "$sobs" -eq 1 ] && [ "$trailer" = "$ident" ] ||
		problems+=("commit $i has $sobs Signed-off-by lines (trailer: '$trailer')")
	if [ -n "${theirs[$((i - 1))]:-}" ]; then
		a=$(git -C "$work/series-tree" log -1 --format=%B "${theirs[$((i - 1))]}" | trim)
		b=$(grep -vxF "Signed-off-by: $ident" <<<"$msg" | trim)
		[ "$a" = "$b" ] || problems+=("commit $i message differs from patch $i")
	fi
done
if [ ${#problems[@]} -eq 0 ]; then
	pass "each commit is from $ident with one Signed-off-by, its own, and the message of its patch"
else
	fail "each commit is from $ident with one Signed-off-by, its own, and the message of its patch: ${problems[*]}"
fi

finish
