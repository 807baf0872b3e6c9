{#- A daily build relinks only the left records a change can reach (_identity__docs.md).

    A left record's link is a function of its own columns, of the target records sharing one
    of link_person_records' five block keys with it (their columns), and of the name
    weights. So, when the weights stand (int_name_frequencies) and every input kept its
    change log in this build, the records to relink are those that became current in this
    build and those sharing a block key with a target record that changed: its version
    before (a log's 'removed' rows) or after ('added'). A record no longer current loses
    its row (logged_incremental's `versions_of`). Anything else (a first or full build,
    new weights, an input rebuilt in full or retried) relinks every record. -#}

{#- True when this build must relink every record: `inputs` are the names of the models
    whose change logs (keep_replaced) the touched block keys come from. The hop's strategy
    asks again (config relinked_from): relinking everything, it replaces the table and keeps
    no change log, so the next hops relink everything too. -#}
{% macro relink_everything(inputs) -%}
    {#- a unit test gives only the model's own inputs, and tests the full logic -#}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set reweighted = run_query(
            "select count(*) from " ~ ref('int_name_frequencies')
            ~ " where computed_in_build = '" ~ build_id() ~ "'").columns[0].values()[0] -%}
    {%- if reweighted > 0 -%}{{ return(true) }}{%- endif -%}
    {{ return(changes_unknown(inputs)) }}
{%- endmacro %}

{#- True when one of the models named in `inputs` kept no change log in this build (built in
    full) or was retried (its log no longer says what changed): what follows them must be
    recomputed in full. -#}
{% macro changes_unknown(inputs) -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- for input in inputs -%}
        {%- set log = changes_of(ref(input)) -%}
        {%- if log is none -%}{{ return(true) }}{%- endif -%}
        {%- set retried = run_query("select count(*) from " ~ log
                                    ~ " where _change = 'retry'").columns[0].values()[0] -%}
        {%- if retried > 0 -%}{{ return(true) }}{%- endif -%}
    {%- endfor -%}
    {{ return(false) }}
{%- endmacro %}

{#- The block keys of a changed target, as the linking model compares them: a query over
    `relation` (a change log) with link_key, id_token, name_token, name_pinyin_token,
    birth_date, region_code. -#}
{% macro touched_blocks(relation, link_key, where=none) -%}
    select {{ link_key }} as link_key, id_token, name_token, name_pinyin_token, birth_date,
        region_code
    from {{ relation }}
    {%- if where %} where {{ where }}{% endif %}
{%- endmacro %}

{#- CTE `relinked`: the candidates (link_person_records' left columns plus staged_in_build)
    to link in this build; `touched` is a query of touched_blocks (CTE `relink_touched`).
    `with_token_of_new=true` (a one_to_one hop): also the candidates sharing an ID token
    with one staged in this build, whose declared key may now claim their target. -#}
{% macro relinked(candidates, touched, everything, with_token_of_new=false) -%}
{%- if not everything %}
relink_touched as materialized (
    {{ touched }}
),
{%- if with_token_of_new %}
relink_new_tokens as materialized (
    select distinct id_token from {{ candidates }}
    where staged_in_build = '{{ build_id() }}' and id_token is not null
),
{%- endif %}
{% endif -%}
relinked as {% if not everything %}materialized {% endif %}(
    {%- if everything %}
    select * from {{ candidates }}
    {%- else %}
    {#- one scan of the candidates, each block key a semi-join on the few touched rows (a
        union of five joins scanned them six times) -#}
    select * from {{ candidates }} as c
    where c.staged_in_build = '{{ build_id() }}'
        {%- if with_token_of_new %}
        or exists (select 1 from relink_new_tokens as n where n.id_token = c.id_token)
        {%- endif %}
        or exists (select 1 from relink_touched as t where t.link_key = c.link_key)
        or exists (select 1 from relink_touched as t where t.id_token = c.id_token)
        or exists (select 1 from relink_touched as t
                   where t.birth_date = c.birth_date and t.name_token = c.name_token)
        or exists (select 1 from relink_touched as t
                   where t.birth_date = c.birth_date
                       and t.name_pinyin_token = c.name_pinyin_token)
        or exists (select 1 from relink_touched as t
                   where t.birth_date = c.birth_date and t.region_code = c.region_code)
    {%- endif %}
)
{%- endmacro %}
