# Runs the init script's validate_backsoon_section (OpenWrt's uci_load_validate and
# validate_data) over the cases in $CASES/0, $CASES/1, ...: each holds `config` (copied to
# /etc/config/backsoon) and `option` (the option to report). Writes beside them: `status`
# (uci_load_validate's verdict), `variable` (the option's variable as the script sees it;
# absent when unset), `true` (when is_true holds for it), and the shell's stdout and stderr.
# Sourced by busybox ash in openwrt-root.ts's router view (board-validation-openwrt.test.ts).
# shellcheck shell=sh
# shellcheck source=/dev/null
. /lib/functions.sh
# shellcheck source=/dev/null
. /lib/functions/procd.sh
# shellcheck source=/dev/null
. /etc/init.d/backsoon

# shellcheck disable=SC2154  # case_dir and option are set by the loop below
report() {
	printf '%s' "$2" >"$case_dir/status"
	eval "reported_set=\${$option+set} reported_value=\${$option-}"
	[ "$reported_set" = set ] && printf '%s' "$reported_value" >"$case_dir/variable"
	is_true "$reported_value" && : >"$case_dir/true"
	return 0
}

i=0
while [ -d "$CASES/$i" ]; do
	case_dir=$CASES/$i
	option=$(cat "$case_dir/option")
	cp "$case_dir/config" /etc/config/backsoon
	(validate_backsoon_section main report) >"$case_dir/stdout" 2>"$case_dir/stderr"
	i=$((i + 1))
done
