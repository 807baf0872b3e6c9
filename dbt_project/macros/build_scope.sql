{#- Daily builds recompute only the person-cases that changed (docs/architecture.md).

    int_person_case_changes fingerprints every person-case (its person_cases row and the
    delivered rows behind it) and records the build in which the fingerprint last changed;
    int_build_scope is this build's changed person-cases, closed over the case numbers
    co-defendants share (court and review clocks are per case, not per person). A model
    keyed by person-case is `config(**scoped_incremental())` and filters its person-case
    input with `in_build_scope()`: a first or full build computes everything, a daily build
    only the scope, and the `replace_scope` strategy deletes every row of the scope before
    inserting what was recomputed, so a person-case that no longer yields a row loses it.
    A change to the project's SQL, parameters or seeds makes the next build a full refresh
    (shared_exchange.warehouse.dbt.project_digest). -#}

{#- The build this run writes: the versioned file's stem (one per build, kept on retry; set
    by shared_exchange.warehouse.dbt.run_dbt). Read at run time only: an env var read while
    parsing is part of dbt's parse state, and this one differs every build. -#}
{% macro build_id() -%}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {{- return(env_var('SHARED_EXCHANGE_BUILD_ID', '') or invocation_id) -}}
{%- endmacro %}

{#- `scope`: the model listing the keys to recompute (a null key: every key). The identity
    layer's person-case models follow int_person_cases_touched, computed before person_cases
    (int_build_scope needs person_cases). -#}
{% macro scoped_incremental(unique_key='person_case_id', scope='int_build_scope') -%}
    {{ return(adapter.dispatch('scoped_incremental', 'shared_exchange')(unique_key, scope)) }}
{%- endmacro %}

{% macro default__scoped_incremental(unique_key, scope) -%}
    {{ return({'materialized': 'incremental', 'incremental_strategy': 'replace_scope',
               'unique_key': unique_key, 'build_scope': scope,
               'on_schema_change': 'append_new_columns'}) }}
{%- endmacro %}

{#- Spark: Parquet tables have no DELETE (macros/cross_db/incremental.sql); full tables. -#}
{% macro spark__scoped_incremental(unique_key, scope) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{#- A predicate on a person-case column: true on a full build, else "in this build's scope"
    or in `also` (a query of person_case_id: e.g. rows whose verdict moves with the as-of
    date). -#}
{% macro in_build_scope(column, also=none, scope='int_build_scope') -%}
    {%- set keys = build_scope_keys(scope) -%}
    {%- if keys is none -%}
        true
    {%- else -%}
        ({{ column }} in ({{ keys }})
        {%- if also %} or {{ column }} in ({{ also }}){% endif %})
    {%- endif -%}
{%- endmacro %}

{#- A query of the keys `scope` lists, or none when everything is computed: a unit test (it
    gives only the model's own inputs, and tests the full logic), a table, an incremental
    model's first or full build, or a scope listing a null key (every key: a full build). A
    view is filtered too: its readers are scoped models. The ref is taken first so dbt
    records the dependency at parse time. -#}
{% macro build_scope_keys(scope='int_build_scope') -%}
    {%- if model.resource_type == 'unit_test' -%}{{ return(none) }}{%- endif -%}
    {%- set relation = ref(scope) -%}
    {%- if not (is_incremental() or config.get('materialized') == 'view') -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(scope_keys_of(relation)) }}
{%- endmacro %}

{#- A query of the keys a scope relation lists, or none when it stands for everything. -#}
{% macro scope_keys_of(relation) -%}
    {%- if scope_is_everything(relation) -%}{{ return(none) }}{%- endif -%}
    {{ return('select scope_key from ' ~ relation) }}
{%- endmacro %}

{#- `column in (keys)`, or true when `keys` (build_scope_keys) is none. -#}
{% macro in_keys(column, keys) -%}
    {{- column ~ ' in (' ~ keys ~ ')' if keys else 'true' -}}
{%- endmacro %}

{#- For data tests of a scoped model: a predicate on its person-case column, true for the
    rows this build rewrote (the scope's person-cases and unkeyed rows; every row on a first
    or full build). The other rows passed the same tests in an earlier build and did not
    change. The scope is named, not ref()'d, for the reason given in includes_every_key_of. -#}
{% macro rewritten_in_build(column, database) -%}
    {%- set keys = scope_keys_of(api.Relation.create(database=database,
            schema=generate_schema_name('intermediate', none), identifier='int_build_scope')) -%}
    {{ return('(' ~ in_keys(column, keys) ~ ' or ' ~ column ~ ' is null)') }}
{%- endmacro %}

{#- A scope not built yet (`dbt compile` of an empty warehouse) stands for everything. -#}
{% macro scope_is_everything(relation) -%}
    {%- if not execute -%}{{ return(false) }}{%- endif -%}
    {%- if load_relation(relation) is none -%}{{ return(true) }}{%- endif -%}
    {{ return(run_query("select count(*) from " ~ relation ~ " where scope_key is null"
                        ).columns[0].values()[0] > 0) }}
{%- endmacro %}

{#- The strategy: drop every row of the scope (and of whatever was recomputed), then insert.
    Config `replace_unkeyed=true`: rows without a key (e.g. unlinked records) are always
    recomputed. `keep_replaced=true`: the dropped rows ('removed') and their replacements
    ('added') are kept in <model>__changes for this build, so a model downstream can tell
    what really changed (the scoreboards recompute only those periods). -#}
{% macro get_incremental_replace_scope_sql(arg_dict) -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set scope = ref(config.get('build_scope', 'int_build_scope')) -%}
    {%- if scope_is_everything(scope) -%}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, 'true')) }}
    {%- endif -%}
    {%- set replaced -%}
        {#- one semi-join over the union: an OR of two IN subqueries probed the table twice -#}
        {{ key }} in (select scope_key from {{ scope }}
                      union select {{ key }} from {{ arg_dict['temp_relation'] }})
        {%- if config.get('replace_unkeyed') %} or {{ key }} is null{% endif %}
    {%- endset -%}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, replaced)) }}
{%- endmacro %}

{#- The same without the build scope, for models upstream of it (identity linking): the rows
    whose key was recomputed; config `replace_versions_of` (columns of a record's business
    key): also the rows of a record whose newer version was recomputed (its row id changed;
    a null key part never matches, as in staging, where such a row never merges);
    `replace_all_when_any=true`: any recomputed row replaces the whole table (a model that
    is recomputed all at once or not at all); `replace_all=true`: the whole table, always;
    `replace_differing=true`: a model recomputed in full whose rows are replaced only where
    they differ (replace_differing_sql). -#}
{% macro get_incremental_replace_rows_sql(arg_dict) -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set versions = config.get('replace_versions_of') -%}
    {%- set relinked_from = config.get('relinked_from') -%}
    {%- if relinked_from is not none and relink_everything(relinked_from) -%}
    {#- an identity hop that relinked every record: a full replacement, no change log -#}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, 'true', keep_log=false)) }}
    {%- endif -%}
    {%- if config.get('replace_all') -%}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, 'true')) }}
    {%- endif -%}
    {%- if config.get('replace_differing') -%}
    {{ return(shared_exchange.replace_differing_sql(arg_dict)) }}
    {%- endif -%}
    {%- set replaced -%}
        {%- if config.get('replace_all_when_any') -%}
        exists (select 1 from {{ temp }})
        {%- else -%}
        {{ key }} in (
            select {{ key }} from {{ temp }}
            {%- if versions %}
            {#- a join: a row-value IN under OR took 52 s at 1 M (the justice hop) -#}
            union
            select old.{{ key }} from {{ arg_dict['target_relation'] }} as old
            inner join {{ temp }} as new on
            {%- for column in versions %} old.{{ column }} = new.{{ column }}
            {%- if not loop.last %} and{% endif %}{% endfor %}
            {%- endif %}
        )
        {%- endif -%}
    {%- endset -%}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, replaced)) }}
{%- endmacro %}

{#- For a model recomputed in full each build: only the keys whose rows differ from the
    table's (rows added, removed or changed, compared per key by count and multiset hash) are
    replaced and logged. The temp table keeps only those keys' rows. Writing back every row
    cost more than computing them (the legal aid links at 1 M: 139 k rows a day, a few
    hundred changed). A retried build replaces and logs every row (retried_build). -#}
{% macro replace_differing_sql(arg_dict) -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set differing = temp.incorporate(path={'identifier': temp.identifier ~ '__differing'}) -%}
    {%- if retried_build(target) -%}
    {{ return(shared_exchange.replace_rows_sql(arg_dict, 'true')) }}
    {%- endif -%}
    create or replace temporary table {{ differing }} as
    {{ shared_exchange.differing_keys(key, columns, target, temp) }};
    delete from {{ temp }} as t
    where not exists (
        select 1 from {{ differing }} as d where d.{{ key }} is not distinct from t.{{ key }});
    {{ shared_exchange.replace_rows_sql(arg_dict,
        key ~ ' in (select ' ~ key ~ ' from ' ~ differing ~ ')') }};
    drop table {{ differing }}
{%- endmacro %}

{#- `keep_log=false`: no change log this build (changes_of then finds none downstream).
    Config `log_changed_on` (a list of column expressions, or true: every
    column): the log keeps only the keys whose rows differ on them, all their rows removed
    and added. A daily build replaces many rows that come back the same (a scoped model
    recomputes more than changed); writing them all to the log cost more than the model.
    A logged replacement finds its rows once, by row id: the log and the delete then fetch
    them by id instead of each probing the key column of the whole table again (fetching a
    1 M build's 194 k scoped facts of 14 M and deleting them: 1.1 → 0.8 s). -#}
{% macro replace_rows_sql(arg_dict, replaced, keep_log=true) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    {%- set logged = config.get('keep_replaced') and keep_log -%}
    {%- set by_row_id = logged and replaced != 'true' -%}
    {%- set rows = temp.incorporate(path={'identifier': temp.identifier ~ '__replaced'}) -%}
    {%- if by_row_id %}
    create or replace temporary table {{ rows }} as
    select rowid as replaced_row from {{ target }} where {{ replaced }};
    {%- set replaced = 'rowid in (select replaced_row from ' ~ rows ~ ')' %}
    {%- endif %}
    {%- if logged %}
    {%- set retry = retried_build(target) -%}
    {%- set compared = config.get('log_changed_on') -%}
    {%- set compared = columns if compared is true else (compared or []) | join(', ') -%}
    create or replace table {{ changes_relation(target) }} as
    {%- if compared and not retry %}
    {%- set key = arg_dict['unique_key'] %}
    with removed as materialized (
        select * from {{ target }} where {{ replaced }}
    ),
    changed as materialized (
        {{ shared_exchange.differing_keys(key, compared, 'removed', temp) }}
    )
    select *, 'removed' as _change, '{{ build_id() }}' as _build from removed as r
    where exists (select 1 from changed as c where c.{{ key }} is not distinct from r.{{ key }})
    union all by name
    select *, 'added' as _change, '{{ build_id() }}' as _build from {{ temp }} as a
    where exists (select 1 from changed as c where c.{{ key }} is not distinct from a.{{ key }});
    {%- else %}
    select *, '{{ 'retry' if retry else 'removed' }}' as _change, '{{ build_id() }}' as _build
    from {{ target }}
    where {{ replaced }}
    union all by name
    select *, '{{ 'retry' if retry else 'added' }}' as _change, '{{ build_id() }}' as _build
    from {{ temp }};
    {%- endif %}
    {%- elif config.get('keep_replaced') %}
    drop table if exists {{ changes_relation(target) }};
    {%- endif %}
    delete from {{ target }} where {{ replaced }};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
    {%- if by_row_id %};
    drop table {{ rows }}
    {%- endif %}
{%- endmacro %}

{#- A query of the `key`s whose rows differ between `old` and `new` (relations or CTE names)
    on `columns` (SQL expressions, comma-separated): on one side only, or another count or
    multiset hash per key, as the fingerprints compare (EXCEPT ALL over the rows took 3×
    longer at 1 M). -#}
{% macro differing_keys(key, columns, old, new) -%}
    select {{ key }} from (
        select {{ key }}, count(*) as n, {{ multiset_hash(columns) }} as h
        from {{ old }} group by {{ key }}
        union all
        select {{ key }}, count(*), {{ multiset_hash(columns) }} from {{ new }}
        group by {{ key }}
    ) as summed
    group by {{ key }}
    having count(*) = 1 or min(n) <> max(n) or min(h) <> max(h)
{%- endmacro %}

{#- A retried build already replaced this model's rows once (its change log of this build
    has rows): what changed is no longer known. -#}
{% macro retried_build(target) -%}
    {{ return(changes_of(target) is not none and run_query(
        "select count(*) from " ~ changes_relation(target)).columns[0].values()[0] > 0) }}
{%- endmacro %}

{% macro changes_relation(relation) -%}
    {{ return(relation.incorporate(path={'identifier': relation.identifier ~ '__changes'})) }}
{%- endmacro %}

{#- The change log of a keep_replaced model, if this build wrote it (else none: a full
    build of that model, so everything downstream must be recomputed). A pre-hook of the
    model drops it before a full build (`drop_changes()`). -#}
{% macro changes_of(model_relation) -%}
    {#- only an incremental run reads another model's changes (none on Spark: full tables) -#}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {#- not adapter.get_relation: dbt's relation cache is filled when the run starts and the
        log is created later in the run by plain SQL, so the cache would not know it -#}
    {%- set found = changes_relation(model_relation) -%}
    {%- set present = run_query("select count(*) from information_schema.tables"
            ~ " where table_catalog = '" ~ found.database ~ "' and table_schema = '"
            ~ found.schema ~ "' and table_name = '" ~ found.identifier ~ "'"
            ).columns[0].values()[0] -%}
    {%- if present == 0 -%}{{ return(none) }}{%- endif -%}
    {%- set stale = run_query("select count(*) from " ~ found ~ " where _build <> '"
                              ~ build_id() ~ "'").columns[0].values()[0] -%}
    {{ return(found if stale == 0 else none) }}
{%- endmacro %}

{% macro drop_changes() -%}
    {%- if not is_incremental() -%}
    drop table if exists {{ changes_relation(this) }}
    {%- endif -%}
{%- endmacro %}

{#- A query of the `key`s whose rows in a keep_replaced model changed in this build, judged
    on `columns` (what the caller reads): removed and added rows that differ, every key of a
    retried build (what changed is no longer known), or every key when the model kept no
    change log in this build. -#}
{% macro changed_keys(model_relation, key, columns) -%}
    {%- set log = changes_of(model_relation) -%}
    {%- if log is none -%}
        select {{ key }} from {{ model_relation }}
    {%- else -%}
        {%- set cols = columns | join(', ') -%}
        select {{ key }} from (
            (select {{ cols }} from {{ log }} where _change = 'removed'
             except select {{ cols }} from {{ log }} where _change = 'added')
            union all
            (select {{ cols }} from {{ log }} where _change = 'added'
             except select {{ cols }} from {{ log }} where _change = 'removed')
        ) as changed
        union select {{ key }} from {{ log }} where _change = 'retry'
    {%- endif -%}
{%- endmacro %}
