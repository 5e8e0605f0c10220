"""A workflow changed without a patch, for the test that shows the replay catches it. Its own module:
the workflow sandbox re-imports the module that defines a workflow, and this one does nothing at import."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow


@workflow.defn(name="ApplicationWorkflow")
class ApplicationThatPausesFirst:
    """A 'harmless' change to the application: a pause before resolving its policy, without a patch."""

    @workflow.run
    async def run(self, *_: object) -> None:
        await workflow.sleep(timedelta(seconds=1))
