{#- The stable detector codes of domain.md §3 (column `detector` of detector_findings). -#}
{% macro detector_codes() %}
  {{ string_list(['custodial_sentence_not_executed', 'revoked_not_committed', 'correction_not_reported',
   'custody_overdue', 'supplementary_investigation_over_limit', 'held_after_release_decision',
   'bail_or_surveillance_overdue', 'fine_not_enforced', 'orphan_court_case',
   'identity_mismatch', 'charge_mismatch']) }}
{% endmacro %}
