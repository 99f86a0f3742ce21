#!/bin/sh
# dracut pre-trigger hook: start egs when egs.initramfs=1
/usr/lib/eryph/egs-early.sh start
