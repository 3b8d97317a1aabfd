# STAND-IN for OpenWrt's /lib/config/uci.sh (openwrt/openwrt package/system/uci/files), which
# the source archives in OPENWRT_SRC do not hold (uci.tar.gz's sh/uci.sh is an older, different
# file). Only what functions.sh's config_load needs: uci_load, which evaluates the real uci's
# `export` of a package into the config/option/list calls of the real functions.sh.
# shellcheck shell=sh

uci_load() {
	# a fresh load forgets the lists and sections of the one before
	for _uci_load_list in $CONFIG_LIST_STATE; do
		eval "CONFIG_${_uci_load_list}='' CONFIG_${_uci_load_list}_LENGTH=''"
	done
	# shellcheck disable=SC2034  # read by functions.sh
	CONFIG_LIST_STATE='' CONFIG_SECTIONS='' CONFIG_NUM_SECTIONS=0 CONFIG_SECTION=''
	_uci_load_data="$(/sbin/uci ${UCI_CONFIG_DIR:+-c "$UCI_CONFIG_DIR"} -S -n export "$1" 2>/dev/null)"
	_uci_load_status=$?
	[ "$_uci_load_status" = 0 ] && [ -n "$_uci_load_data" ] && eval "$_uci_load_data"
	${CONFIG_SECTION:+config_cb}
	return "$_uci_load_status"
}
