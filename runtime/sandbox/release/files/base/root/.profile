# root's .profile: login shells read it, and it names ~/.shrc for
# interactive ones.
PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:~/bin
export PATH
HOME=/root
export HOME
TERM=${TERM:-xterm}
export TERM
ENV=$HOME/.shrc
export ENV
