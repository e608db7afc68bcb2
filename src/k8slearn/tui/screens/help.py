"""The help screen: keys and how grading works, for a learner's first minutes."""

HELP = """\
# How k8slearn works

Read the exercise (left), write YAML (right), press **F5**. Your answer is checked the way
a cluster would treat it: first as the API server (would `kubectl apply` accept it?), then by
**behaviour** on a modelled cluster — which pods a Service selects, which connections a
NetworkPolicy allows. Any answer that behaves right passes, however it is written.

## Keys

| Key | Does |
|---|---|
| F5 | check the answer |
| F2 | next hint (each one is counted) |
| F3 | show the solution (asks first; recorded) |
| ctrl+s | save the draft now (drafts also save as you type) |
| ctrl+r | reset the editor to the starter (ctrl+z undoes) |
| ctrl+n / ctrl+p | next / previous exercise (in a drill: next item only) |
| ctrl+o | in a drill: load your own saved draft (a drill starts from the starter) |
| ctrl+e | edit the answer in `$EDITOR` (vim, as in the exam) |
| F6 | verify on a kind cluster (`k8slearn cluster up` first) |
| ctrl+t | switch between the YAML editor and the kubectl command line |
| F8 | the Cluster tab (the practice cluster as `kubectl get` shows it) and back |
| ctrl+g | put the practice cluster's objects in the editor (ctrl+z undoes) |
| tab | indent (two spaces); to leave the editor use the mouse or F-keys |
| ctrl+\\\\ | command palette (every action, searchable) |
| F1 | this help |
| ctrl+q | quit (your draft is kept) |

## kubectl and the Cluster tab

**ctrl+t** opens a command line for the real kubectl on this exercise's practice cluster (the
same one `k8slearn shell` opens, kept between visits). Type with or without `kubectl` or `k`
in front; **tab** completes verbs, kinds and the names of the objects there, **up/down** walk
your history, **ctrl+l** clears the output, **Esc** clears the line, then leaves it.
`kubectl exec POD -- wget -qO- --timeout=2 SERVICE:PORT` tests a connection (answered from
the model). It is one command at a time, not a shell: no pipes or variables, and nothing that
needs a terminal (`exec -it … sh`, `get -w`); `kubectl edit` suspends the app and opens your
editor.

Once kubectl has changed the cluster, **F5 grades the cluster**, and the editor shows your
objects as YAML after each change. YAML you typed yourself is never overwritten: **F5 applies
it first**, as `kubectl apply -f` would (if the API server refuses it, nothing is graded and
your text stays), and **ctrl+g** puts the cluster's YAML in instead (ctrl+z undoes). **ctrl+r**
then asks before starting the cluster and the editor over.

## The matrix

After a check, the reachability matrix shows every connection between the scenario's pods
(rows: from, columns: to) on the chosen port. Cells that differ from the model solution are
highlighted; move onto a cell to read why it is allowed or denied.

## Predict the table

Rows are where a connection comes from, columns where it goes to. The cursor starts on the
first cell, with the table focused.

| Key | Does |
|---|---|
| arrows | move between cells |
| space | mark the cell allowed (✓) or denied (·) |
| tab / shift+tab | move the focus to the manifests and back to the table |
| F5 | check the whole table (once); then move onto a ≠ cell to read why |
| F2 | next hint |

A cell marked `=` is a pod talking to itself: always allowed, never asked.

## Drills

A countdown runs; hints cost a quarter point and F3 ends the item as failed. A right answer
moves on by itself. A wrong one stays on screen so you can read why: press **ctrl+n** for
the next item when you are done (in a build item you may also fix it and F5 again). ctrl+n
before any failing check skips the item. Esc (twice from the editor) or ctrl+q stops the
drill; the results so far are still recorded and reported, marked as abandoned.
"""
