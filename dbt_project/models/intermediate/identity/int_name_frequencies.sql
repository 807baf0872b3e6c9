-- How many distinct persons (ID tokens) carry each name / pinyin token: the u-probability
-- of name agreement in the Fellegi–Sunter score. Common names (the most frequent
-- two-character names) weigh little.
with

named as (
    select id_token, name_token, name_pinyin_token from {{ ref('stg_police__suspects') }}
    union all
    select id_token, name_token, name_pinyin_token
    from {{ ref('stg_procuratorate__arrest_reviews') }}
    union all
    select id_token, name_token, name_pinyin_token
    from {{ ref('stg_procuratorate__prosecution_reviews') }}
    union all
    select id_token, name_token, name_pinyin_token from {{ ref('stg_court__judgments') }}
    union all
    select id_token, name_token, name_pinyin_token
    from {{ ref('stg_justice__community_corrections') }}
),

population as (
    select greatest(count(distinct id_token), 1) as total_persons from named
),

tokens as (
    select 'name' as token_kind, name_token as token, count(distinct id_token) as persons
    from named
    where name_token is not null
    group by name_token
    union all
    select 'pinyin', name_pinyin_token, count(distinct id_token)
    from named
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
        ) as name_weight
    from tokens as t
    cross join population as p
)

select * from final
