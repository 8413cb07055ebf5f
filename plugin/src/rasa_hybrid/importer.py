"""Rasa's file importer, plus what the domain contract generates (config.yml).

Named under ``importers`` in config.yml, it reads the project's files as Rasa
does and adds, for training, validation and ``rasa test``:

* the plugin's own domain file (``domain/rasa_hybrid.yml`` by default; its
  intents, action and responses), unless the domain folder already holds it;
* every slot mapping's exclusions of routed intents (``contract.py``);
* the rules that send routed intents to the LLM action, outside any form and
  in each of the domain's forms.

So a form added to the domain is covered without another edit.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from rasa.shared.core.domain import Domain
from rasa.shared.core.training_data.story_reader.yaml_story_reader import (
    YAMLStoryReader,
)
from rasa.shared.core.training_data.structures import StoryGraph
from rasa.shared.importers.rasa import RasaFileImporter
from rasa.shared.utils.common import cached_method

from rasa_hybrid.contract import Contract, project_contract
from rasa_hybrid.project import project_dir, resolve

logger = logging.getLogger(__name__)

PLUGIN_DOMAIN = "domain/rasa_hybrid.yml"


def _inside(path: Path, folder: str | None) -> bool:
    if not folder:
        return False
    root = Path(folder).resolve()
    return root.is_dir() and root in path.resolve().parents


class HybridImporter(RasaFileImporter):
    """``RasaFileImporter`` with the plugin's domain, exclusions and rules."""

    def __init__(
        self,
        config_file: str | None = None,
        domain_path: str | None = None,
        training_data_paths: str | list[str] | None = None,
        plugin_domain: str = PLUGIN_DOMAIN,
        contract: Contract | None = None,
    ) -> None:
        super().__init__(config_file, domain_path, training_data_paths)
        self._plugin_domain = resolve(plugin_domain, project_dir())
        self._contract = contract

    @property
    def contract(self) -> Contract:
        """The project's contract (rasa-hybrid.yml and the input guard's file)."""
        if self._contract is None:
            self._contract = project_contract()
        return self._contract

    @cached_method
    def get_domain(self) -> Domain:
        """The project's domain and the plugin's, with every exclusion added."""
        domain = super().get_domain()
        if self._plugin_domain.is_file() and not _inside(
            self._plugin_domain, self._domain_path
        ):
            domain = domain.merge(Domain.from_path(self._plugin_domain))
        data: dict[str, Any] = domain.as_dict()
        data["slots"] = self.contract.with_exclusions(data.get("slots") or {})
        return Domain.from_dict(data)

    def get_stories(self, exclusion_percentage: int | None = None) -> StoryGraph:
        """The project's stories and rules, and the generated fallback rules."""
        stories = super().get_stories(exclusion_percentage)
        domain = self.get_domain()
        rules = self.contract.fallback_rules(domain.form_names)
        steps = YAMLStoryReader(domain).read_from_parsed_yaml(
            {"version": "3.1", "rules": rules}
        )
        logger.debug("rasa-hybrid: %d fallback rules generated", len(steps))
        return stories.merge(StoryGraph(steps))
