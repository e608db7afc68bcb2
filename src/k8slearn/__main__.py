"""`python -m k8slearn` runs the command line, like the `k8slearn` script."""

from k8slearn.cli import main

main()
