# %systemd_post: on first install the distribution's preset decides whether drover.service is
# enabled; it is never started here (the config must name real brokers first).
install -d -o drover -g drover -m 0750 /var/lib/drover
if [ "$1" -eq 1 ] && [ -d /run/systemd/system ]; then
  systemctl --no-reload preset drover.service >/dev/null 2>&1 || true
fi
exit 0
