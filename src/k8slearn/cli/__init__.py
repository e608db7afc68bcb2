"""The `k8slearn` command line: a thin face over the core.

Each command group lives in its own module and is imported only when it runs
(`k8slearn check` never loads the code of `reach` or of the cluster face). Exit
codes are the same for every command: see `k8slearn.cli.common`.
"""

from __future__ import annotations

import importlib

import click

from k8slearn.cli.common import learner, learner_option, load_packs, pack_options

# command name -> "module:attribute"; help lists them in this order
COMMANDS = {
    "check": "k8slearn.cli.study:check",
    "class": "k8slearn.cli.classes:class_group",
    "cluster": "k8slearn.cluster.commands:cluster",
    "drill": "k8slearn.cli.study:drill",
    "list": "k8slearn.cli.study:list_command",
    "open": "k8slearn.cli.study:open_command",
    "pack": "k8slearn.cli.packs:pack",
    "progress": "k8slearn.cli.study:progress",
    "reach": "k8slearn.cli.manifests:reach",
    "shell": "k8slearn.cli.practice:shell",
    "validate": "k8slearn.cli.manifests:validate",
    "verify": "k8slearn.cluster.commands:verify",
}


class LazyGroup(click.Group):
    """A group whose commands are imported when used, to keep start-up fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, _, attribute = target.partition(":")
        return getattr(importlib.import_module(module), attribute)


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="k8slearn", prog_name="k8slearn")
@pack_options
@learner_option
@click.pass_context
def main(
    ctx: click.Context, packs: tuple[str, ...], no_builtin: bool, learner_given: str | None
) -> None:
    """Learn and drill Kubernetes Services and NetworkPolicies from the terminal.

    Without a command, opens the app. --pack, --no-builtin and --learner given
    here apply to the command that follows too.
    """
    from k8slearn.gcpause import skip_last_collection

    skip_last_collection()
    if ctx.invoked_subcommand is None:
        from k8slearn.gcpause import hold_collector_for_start_up

        hold_collector_for_start_up()  # the app's start-up: its imports and the packs
        from k8slearn.tui.app import run_app

        run_app(load_packs(), learner=learner())
