-- The periodic table, loaded from elements.csv and asked a few questions.
.bail on
.headers on
.mode box
CREATE TABLE elements (number INTEGER PRIMARY KEY, symbol TEXT UNIQUE NOT NULL,
                       name TEXT NOT NULL, mass REAL NOT NULL, period INTEGER NOT NULL,
                       grp INTEGER);
.import --csv --skip 1 apps/sqlite3/demo/elements.csv elements
UPDATE elements SET grp = NULL WHERE grp = '';

.print 'The periodic table, one row per period:'
SELECT period, count(*) AS elements,
       (SELECT name FROM elements f WHERE f.period = e.period ORDER BY number LIMIT 1) AS first,
       (SELECT name FROM elements l WHERE l.period = e.period ORDER BY number DESC LIMIT 1)
         AS last,
       printf('%.1f', avg(mass)) AS mean_mass
  FROM elements e GROUP BY period ORDER BY period;

.print ''
.print 'The noble gases (group 18):'
SELECT group_concat(symbol, ' ') AS symbols, printf('%.3f', sum(mass)) AS total_mass
  FROM elements WHERE grp = 18;

.print ''
.print 'Symbols that do not start with the first letter of the English name:'
SELECT symbol, name, number FROM elements
 WHERE substr(symbol, 1, 1) <> substr(name, 1, 1) ORDER BY number;

.print ''
.print 'Names ending in -ium, and the rest:'
SELECT sum(name LIKE '%ium') AS ending_in_ium, sum(name NOT LIKE '%ium') AS others,
       count(*) AS total
  FROM elements;
