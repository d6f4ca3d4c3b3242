"""Configuration: ExaBGP 4.2 syntax in, frozen ``Config`` out."""

from bgpmesh.config.model import Api, Config, Neighbor, Process
from bgpmesh.config.parser import load_config, parse_config

__all__ = ["Api", "Config", "Neighbor", "Process", "load_config", "parse_config"]
