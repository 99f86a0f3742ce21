#!/bin/sh
# dracut cleanup hook: stop the early egs before switch_root
/usr/lib/eryph/egs-early.sh stop
