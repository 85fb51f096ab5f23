#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Stage "send": mail the series to the list, as yourself (make send).
#
#   send.sh            dry run: shows what git send-email would send
#   SEND=1 send.sh     sends for real
#
# The sender is your git identity (git config user.name and user.email,
# global or of this repo). The mails (out/send/mails) are the patch files
# with you as author and your Signed-off-by added (lab/send/mails.sh); nobody
# else signs off for you. Before anything goes out:
#   - the series must apply to the base (out/send/tree is materialised);
#   - checkpatch.pl --strict must be clean on every mail (no error, warning
#     or check);
#   - .b4-config gives To (the list) and Cc (the maintainers); it is
#     installed into out/send/tree, from where git send-email runs, and must
#     be up to date with get_maintainer.pl to really send (make maintainers).
# The cover letter goes first and the patches are replies to it.
#
# To try it as someone else without touching your git config, give git the
# identity through the environment (git >= 2.31), e.g.
#   GIT_CONFIG_COUNT=2 GIT_CONFIG_KEY_0=user.name GIT_CONFIG_VALUE_0="Lab Check" \
#   GIT_CONFIG_KEY_1=user.email GIT_CONFIG_VALUE_1=lab-check@example.org make send
. "$(dirname "$0")/../lib/lib.sh"

here=$(cd "$(dirname "$0")" && pwd)
work=$LAB_OUT/send
tree=$work/tree
mails=$work/mails
SEND=${SEND:-0}
[ $# -eq 0 ] || die "usage: [SEND=1] send.sh (or: make send [SEND=1])"

# 1. Who sends.
name=$(git -C "$LAB_TOP" config user.name || true)
email=$(git -C "$LAB_TOP" config user.email || true)
if [ -z "$name" ] || [ -z "$email" ]; then
	die "no git identity to send the series as (user.name='$name', user.email='$email').
  The mails go out from you and carry your Signed-off-by, so set yours first:
    git config --global user.name 'Your Name'
    git config --global user.email you@example.com"
fi
ident="$name <$email>"
if [ "$name" = "$LAB_NAME" ] || [ "$email" = "$LAB_EMAIL" ]; then
	die "'$ident' is the lab's placeholder author, not a person: nobody can sign off as it. Set your own identity with git config --global user.name / user.email"
fi
case $email in
*[[:space:]\<\>]* | *@*@* | @* | *@) die "user.email '$email' is not a mail address" ;;
*@*.*) ;;
*) die "user.email '$email' is not a mail address" ;;
esac
if [ "$SEND" = 1 ]; then
	domain=$(printf '%s' "${email#*@}" | tr '[:upper:]' '[:lower:]')
	case $domain in
	localhost | *.localhost | localdomain | *.localdomain | example.com | example.org | example.net | \
	*.example | *.example.com | *.example.org | *.example.net | *.invalid | *.test | *.local)
		die "refusing to send real mail as '$ident': $domain is a reserved or local domain, nobody can answer there. Set your real identity (git config --global user.email)" ;;
	esac
fi

if ! (need_pkgs git-email perl); then
	die "git send-email needs Debian's git-email and perl: apt-get update && apt-get install git-email perl"
fi
mkdir -p "$work"

# 2. The series applies, and the tree gives checkpatch.pl and the config.
log "materialising $tree (the series must apply to the base)"
FORCE=1 "$LAB_DIR/tree/tree.sh" --tree "$tree" >"$work/tree.log" 2>&1 ||
	{ tail -n 20 "$work/tree.log" >&2; die "the series does not apply to the base (log: $work/tree.log): fix it before sending"; }
# The mails name the base the patch files were exported against: it must be
# the one they were just applied to.
# shellcheck disable=SC1091
. "$LAB_OUT/base.env"
[ -f "$SERIES_BASE" ] && [ "$(. "$SERIES_BASE"; echo "$BASE_SHA256")" = "$BASE_SHA256" ] ||
	die "the patch files were exported against $( [ -f "$SERIES_BASE" ] && base_describe "$SERIES_BASE" || echo 'an unknown base (no series/base.conf)'), but the base here is $(base_describe "$LAB_OUT/base.env"): run 'make check' on it, then 'make tree' and 'make export' (which record it), commit, and send"

if ! "$here/maintainers.sh" --check --tree "$tree" >"$work/maintainers-check.log" 2>&1; then
	cat "$work/maintainers-check.log" >&2
	[ "$SEND" = 1 ] && die ".b4-config is out of date with get_maintainer.pl: run 'make maintainers', review and commit .b4-config, then send"
	log "warning: the recipients in .b4-config are out of date (diff above): run 'make maintainers' before sending for real"
fi
"$here/maintainers.sh" --install "$tree"

# 3. The mails, from the sender, with their sign-off.
"$here/mails.sh" --identity "$ident" --to "$mails"
mapfile -t files < <(find "$mails" -maxdepth 1 -name '[0-9][0-9][0-9][0-9]-*.patch' | sort)
[ "${#files[@]}" -gt 1 ] || die "no patch files in $SERIES_DIR"
cover=${files[0]}
case $(basename "$cover") in
0000-*) ;;
*) die "no cover letter (series/0000-cover-letter.patch): the series goes out as replies to it" ;;
esac
if grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$cover"; then
	die "the cover letter still has format-patch's *** SUBJECT/BLURB HERE *** placeholders: write it first"
fi

# 4. checkpatch, once more, on what goes out.
bad=()
rm -f "$work"/checkpatch-*.txt
for m in "${files[@]:1}"; do
	b=$(basename "$m")
	out=$work/checkpatch-${b%.patch}.txt
	# UNKNOWN_COMMIT_ID: the base has no upstream history to look up the
	# upstream commits the messages cite.
	(cd "$tree" && perl scripts/checkpatch.pl --strict --no-tree --ignore UNKNOWN_COMMIT_ID --showfile "$m") >"$out" 2>&1 || true
	total=$(grep '^total:' "$out" || echo "total: checkpatch did not finish")
	case $total in
	"total: 0 errors, 0 warnings, 0 checks,"*) log "checkpatch --strict $b: clean" ;;
	*)
		log "checkpatch --strict $b: $total"
		grep -E '^[^:]*:[0-9]+: (ERROR|WARNING|CHECK):' -A3 "$out" | grep -v '^total:' | head -20 >&2 ||
			tail -5 "$out" >&2
		bad+=("$b") ;;
	esac
done
[ ${#bad[@]} -eq 0 ] ||
	die "checkpatch --strict is not clean on ${bad[*]} (reports in $work/checkpatch-*.txt): fix the patches (make tree, edit, make export) and rerun"

# 5. git send-email: a dry run always, for real with SEND=1.
server=$(git -C "$tree" config sendemail.smtpServer || true)
sendmail=
[ -x /usr/lib/sendmail ] && sendmail=/usr/lib/sendmail
[ -x /usr/sbin/sendmail ] && sendmail=/usr/sbin/sendmail	# git send-email prefers this one
opts=(--confirm=never --from="$ident")
summary() {	# the messages of a send-email log: subject, thread, From/To/Cc
	awk '
		function flush() { if (hdr != "") { sub(/^ /, "", val); h[hdr] = val }; hdr = "" }
		/^(Dry-)?OK\. Log says:/ { inmsg = 1; delete h; next }
		inmsg && /^Server: / { server = $2; next }
		inmsg && /^[ \t]/ { val = val " " substr($0, 2); sub(/^[ \t]+/, "", val); next }
		inmsg && /^[A-Za-z-]+: / { flush(); hdr = $1; val = substr($0, length($1) + 2); next }
		inmsg && /^$/ { flush(); inmsg = 0; n++
			f = h["From:"]; t = h["To:"]; c = h["Cc:"]
			if (n == 1) { print "  Server: " server; print "  From:   " f; print "  To:     " t; print "  Cc:     " c
				f1 = f; t1 = t; c1 = c }
			else if (f != f1 || t != t1 || c != c1) print "  (this one: From " f "; To " t "; Cc " c ")"
			printf "  %s%s\n", (h["In-Reply-To:"] != "" ? "  re: " : ""), h["Subject:"] }' "$1"
}

log "dry run: cd $tree && git send-email --dry-run ${opts[*]@Q} $mails/*.patch"
if ! (cd "$tree" && git send-email --dry-run "${opts[@]}" "${files[@]}") </dev/null >"$work/dry-run.log" 2>&1; then
	tail -n 20 "$work/dry-run.log" >&2
	die "git send-email --dry-run failed (log: $work/dry-run.log)"
fi
count=$(grep -c '^Dry-OK' "$work/dry-run.log" || true)
[ "$count" -eq "${#files[@]}" ] ||
	die "git send-email --dry-run handled $count of ${#files[@]} mails (log: $work/dry-run.log)"
log "git send-email would send these ${#files[@]} mails (full log: $work/dry-run.log):"
summary "$work/dry-run.log" >&2
[ -n "$server" ] || log "note: no sendemail.smtpServer is set, so git send-email would use ${sendmail:-localhost:25}"

if [ "$SEND" != 1 ]; then
	log "dry run only, nothing was sent. To send for real: make send SEND=1"
	exit 0
fi

if [ -z "$server" ] && [ -z "$sendmail" ]; then
	die "no way to send mail: configure your SMTP server first, e.g.
    git config --global sendemail.smtpServer smtp.example.com
    git config --global sendemail.smtpServerPort 587
    git config --global sendemail.smtpEncryption tls
    git config --global sendemail.smtpUser you@example.com
  (see git help send-email), then check with 'make send' and rerun 'make send SEND=1'"
fi
cat >&2 <<EOF

  ###################################################################
  ##  SEND=1: SENDING ${#files[@]} MAILS FOR REAL, as $ident
  ##  to the addresses above, via ${server:-$sendmail}
  ###################################################################

EOF
if [ -t 0 ]; then
	log "press Ctrl-C within 10 seconds to stop"
	sleep 10
fi
log "running: cd $tree && git send-email ${opts[*]@Q} $mails/*.patch"
if ! (cd "$tree" && git send-email "${opts[@]}" "${files[@]}") 2>&1 | tee "$work/send.log"; then
	die "git send-email failed (log: $work/send.log): see which mails went out before resending"
fi
sent=$(grep -c '^OK\. Log says:' "$work/send.log" || true)
log "sent $sent of ${#files[@]} mails (log: $work/send.log)"
