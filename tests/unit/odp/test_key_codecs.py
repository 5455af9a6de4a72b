# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dpif.ovs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The key text table (text/key_codecs.py) drives the key parsers and printers."""

from __future__ import absolute_import, annotations, division, print_function

import pytest

from ansible_collections.dpif.ovs.plugins.module_utils.odp import keys as odp_keys
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text import key_codecs, key_parse, key_print
from ansible_collections.dpif.ovs.plugins.module_utils.odp.text.key_fields import spelled_by_fields

__metaclass__ = type


def test_every_kernel_key_attribute_parses_by_its_name():
    for row in odp_keys.KEY_TABLE:
        if row.kernel:
            assert key_parse.KEY_PARSERS[row.name][0] == row.num


def test_each_text_row_gives_the_parser_and_printer_of_its_attribute():
    for text_row in key_codecs.KEY_TEXT_TABLE:
        name = odp_keys.KEY_BY_NUM[text_row.num].name
        if text_row.parser is not key_codecs.KEY_LIST:
            assert key_parse.KEY_PARSERS[name][1] is text_row.parser
        if text_row.printer not in (None, key_codecs.KEY_LIST):
            assert key_print._KEY_PRINTERS[text_row.num] is text_row.printer


def test_text_rows_and_field_rows_do_not_overlap_except_eth():
    both = [row.name for row in odp_keys.KEY_TABLE if spelled_by_fields(row) and row.num in key_codecs.KEY_TEXT_BY_NUM]
    assert both == ["eth"]      # its own parser for the usual spelling, printed by its fields


def test_an_attribute_without_a_codec_is_refused_at_import(monkeypatch):
    table = tuple(row for row in key_codecs.KEY_TEXT_TABLE if row.num != odp_keys.KEY_VLAN)
    monkeypatch.setattr(key_codecs, "KEY_TEXT_TABLE", table)
    monkeypatch.setattr(key_codecs, "KEY_TEXT_BY_NUM", {row.num: row for row in table})
    with pytest.raises(AssertionError, match="vlan"):
        key_codecs._check_table()
