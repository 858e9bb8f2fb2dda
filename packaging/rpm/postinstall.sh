install -d -o drover -g drover -m 0750 /var/lib/drover
systemctl daemon-reload >/dev/null 2>&1 || true
