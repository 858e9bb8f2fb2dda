# %systemd_postun_with_restart: after an upgrade, restart drover if it was running. On erase the
# drover user and /var/lib/drover stay (RPM has no purge): remove them by hand to forget state.
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  if [ "$1" -ge 1 ]; then
    systemctl try-restart drover.service >/dev/null 2>&1 || true
  fi
fi
exit 0
