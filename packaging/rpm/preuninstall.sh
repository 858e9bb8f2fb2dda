if [ "$1" -eq 0 ]; then systemctl stop drover.service >/dev/null 2>&1 || true; fi
