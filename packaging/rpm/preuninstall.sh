# %systemd_preun: on erase (not upgrade) stop and disable; SIGTERM lets drover save its state.
if [ "$1" -eq 0 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload disable --now drover.service >/dev/null 2>&1 || true
fi
exit 0
