-- How many distinct persons (ID tokens) carry each name / pinyin token: the u-probability
-- of name agreement in the Fellegi–Sunter score. Common names (the most frequent
-- two-character names) weigh little.
-- The weights stand for a period (link_name_frequency_period): they count every delivered
-- version (raw, append-only) of a named record whose business date is before the period of
-- the as-of date, so they are a function of the delivered rows and the as-of date, what a
-- daily build and a rebuild share. They are recomputed, and every record relinked
-- (macros/identity/relink.sql), when the period turns or a batch arrives for a date before
-- it. Fewer persons than link_name_frequency_min_persons before the period (a young
-- deployment): every row up to the as-of date counts, recomputed every build.
{%- set named_sources = [('police', 'suspects'), ('procuratorate', 'arrest_reviews'),
                         ('procuratorate', 'prosecution_reviews'), ('court', 'judgments'),
                         ('justice', 'community_corrections')] %}
{%- set period = var('link_name_frequency_period') %}
{{ config(**recomputed_or_kept()) }}

{% set named -%}
    {%- for source_name, table in named_sources %}
    select id_token, name_token, name_pinyin_token, _batch_id, _business_date
    from {{ source(source_name, table) }}
    {%- if not loop.last %}
    union all{% endif %}
    {%- endfor %}
{%- endset %}

{%- set period_start -%}
    cast(date_trunc('{{ period }}', (select as_of_date from {{ ref('int_as_of_date') }})) as date)
{%- endset %}

{%- set stale = true %}
{%- if execute and is_incremental() %}
    {#- the stored weights stand if they were counted before this period's start from the
        same batches -#}
    {%- set stale = run_query("""
        with stored as (
            select any_value(weights_mode) as mode, any_value(weights_cutoff) as cutoff,
                any_value(batches_hash) as batches_hash
            from """ ~ this ~ """
        ),
        batches as (
            select """ ~ multiset_hash('_batch_id') ~ """ as batches_hash
            from (select distinct _batch_id from (""" ~ named ~ """) as n
                  where _business_date < """ ~ period_start ~ """) as b
        )
        select not coalesce(s.mode = 'period' and s.cutoff = """ ~ period_start ~ """
                            and s.batches_hash = b.batches_hash, false)
        from stored as s cross join batches as b""").columns[0].values()[0] %}
{%- endif %}

{%- if not stale %}
select * from {{ this }} where false
{%- else %}
with

named as (
    {{ named }}
),

period as (
    select
        {{ period_start }} as period_start,
        (select as_of_date from {{ ref('int_as_of_date') }}) as as_of_date
),

cutoff as (
    select
        case when before.persons >= {{ var('link_name_frequency_min_persons') }}
            then 'period' else 'all' end as weights_mode,
        case when before.persons >= {{ var('link_name_frequency_min_persons') }}
            then p.period_start else {{ add_days('p.as_of_date', 1) }} end as weights_cutoff
    from period as p
    cross join (
        select count(distinct id_token) as persons
        from named
        where _business_date < (select period_start from period)
    ) as before
),

counted as (
    select n.*
    from named as n
    where n._business_date < (select weights_cutoff from cutoff)
),

population as (
    select
        greatest(count(distinct id_token), 1) as total_persons,
        (select {{ multiset_hash('_batch_id') }}
         from (select distinct _batch_id from counted) as b) as batches_hash
    from counted
),

tokens as (
    select 'name' as token_kind, name_token as token, count(distinct id_token) as persons
    from counted
    where name_token is not null
    group by name_token
    union all
    select 'pinyin', name_pinyin_token, count(distinct id_token)
    from counted
    where name_pinyin_token is not null
    group by name_pinyin_token
),

final as (
    select
        t.token_kind,
        t.token,
        t.persons,
        p.total_persons,
        least(
            {{ var('link_weights').name_max }},
            log2(cast(p.total_persons as double) / greatest(t.persons, 1))
        ) as name_weight,
        c.weights_mode,
        c.weights_cutoff,
        p.batches_hash,
        '{{ build_id() }}' as computed_in_build
    from tokens as t
    cross join population as p
    cross join cutoff as c
)

select * from final
{%- endif %}
