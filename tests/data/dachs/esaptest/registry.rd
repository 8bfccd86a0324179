<?xml version="1.0" encoding="utf-8"?>
<!-- ESAP Hub test registry: a small IVOA Registry Relational Schema
(RegTAP 1.1) in schema rr, published through DaCHS's TAP service, so that
pyvo.registry (and ESAP Hub's registry search) can run against a real
RegTAP endpoint without the internet.

Only the tables and columns RegTAP clients query for resource discovery
are here: rr.resource, rr.capability, rr.interface, rr.res_subject and
rr.res_detail (the data models of capabilities only: which TAP services
serve ObsCore).  The records come from data/registry_*.csv; see
../README.md.

The records of the test archive itself must point at the DaCHS server that
answers, whatever its port.  Their access URLs are therefore stored with
the placeholder {serverURL}, and rr.interface is a view that replaces it
with the PostgreSQL setting esaptest.server_url, which the test harness
gives each server's database sessions (PGOPTIONS).  A server without that
setting shows the placeholder unchanged.

A server can also list mirrors of the test archive, for the all-VO search
tests and benchmark: the PostgreSQL setting esaptest.mirrors, a
comma-separated list of name=baseURL, adds to rr.resource, rr.capability,
rr.interface and rr.res_subject one resource per mirror
(ivo://esap.test/mirror/<name>) with the archive's TAP, SIAv2 and cone
search interfaces under that base URL (a proxy in front of the archive).
The stored records are therefore the tables *_rows, and the RegTAP tables
are views over them and the mirrors; a server without the setting lists
the stored records only. -->
<resource schema="rr" resdir="esaptest">
	<meta name="title">ESAP Hub test registry (RegTAP)</meta>
	<meta name="description">A handful of registry records (the test
		archive's own services and some well-known public ones) in the
		RegTAP 1.1 schema, for ESAP Hub's integration tests.</meta>
	<meta name="creationDate">2026-11-24T00:00:00Z</meta>
	<meta name="subject">virtual-observatories</meta>
	<meta name="creator">ESAP Hub developers</meta>
	<meta name="contact.name">ESAP Hub developers</meta>
	<meta name="contact.email">esap-hub@example.org</meta>

	<table id="resource_rows" onDisk="True" primary="ivoid">
		<meta name="description">The stored resources (RegTAP 1.1 rr.resource
			without the mirrors).</meta>
		<meta name="utype">xpath:/</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="Unambiguous reference to the resource"/>
		<column name="res_type" type="text"
			description="Resource type (e.g. vs:catalogservice)"/>
		<column name="created" type="timestamp"
			description="Date and time of the record's creation"/>
		<column name="short_name" type="text"
			description="A short name or abbreviation"/>
		<column name="res_title" type="text"
			description="The full name given to the resource"/>
		<column name="updated" type="timestamp"
			description="Date and time of the record's last update"/>
		<column name="content_level" type="text"
			description="Intended audiences, hash-separated"/>
		<column name="res_description" type="text"
			description="An account of the nature of the resource"/>
		<column name="reference_url" type="text"
			description="URL of a page describing the resource"/>
		<column name="creator_seq" type="text"
			description="Creators, hash-separated, in order"/>
		<column name="content_type" type="text"
			description="Nature of the content, hash-separated"/>
		<column name="source_format" type="text"
			description="Format of source_value"/>
		<column name="source_value" type="text"
			description="Bibliographic reference of the resource"/>
		<column name="res_version" type="text"
			description="Version label of the resource"/>
		<column name="region_of_regard" type="real" unit="deg"
			description="Intrinsic spatial resolution"/>
		<column name="waveband" type="text"
			description="Messenger terms (hash-separated, from
				http://www.ivoa.net/rdf/messenger)"/>
		<column name="rights" type="text"
			description="Statement of usage conditions"/>
		<column name="rights_uri" type="text"
			description="URI of the usage conditions"/>
		<column name="harvested_from" type="text"
			description="IVOA identifier of the registry the record came from"/>
	</table>

	<table id="capability_rows" onDisk="True">
		<meta name="description">The stored capabilities (RegTAP 1.1
			rr.capability without the mirrors).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="cap_index" type="smallint" required="True"
			description="Index of the capability within the resource"/>
		<column name="cap_name" type="text"
			description="Name of the capability (unused)"/>
		<column name="cap_type" type="text"
			description="Capability type (e.g. tr:tableaccess)"/>
		<column name="cap_description" type="text"
			description="A description of what the capability does"/>
		<column name="standard_id" type="text"
			description="IVOA standard the capability implements"/>
	</table>

	<table id="interface_rows" onDisk="True">
		<meta name="description">The stored interface rows; access URLs of
			the test archive hold the {serverURL} placeholder.  Queried
			through the rr.interface view.</meta>
		<column name="ivoid" type="text"/>
		<column name="cap_index" type="smallint" required="True"/>
		<column name="intf_index" type="smallint" required="True"/>
		<column name="intf_type" type="text"/>
		<column name="intf_role" type="text"/>
		<column name="std_version" type="text"/>
		<column name="query_type" type="text"/>
		<column name="result_type" type="text"/>
		<column name="wsdl_url" type="text"/>
		<column name="url_use" type="text"/>
		<column name="access_url" type="text"/>
		<column name="mirror_url" type="text"/>
		<column name="authenticated_only" type="smallint" required="True"/>
		<column name="security_method_id" type="text"/>
	</table>

	<table id="res_subject_rows" onDisk="True">
		<meta name="description">The stored topics (RegTAP 1.1 rr.res_subject
			without the mirrors).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="res_subject" type="text"
			description="A topic of the resource"/>
	</table>

	<table id="res_detail_rows" onDisk="True">
		<meta name="description">The stored details (RegTAP 1.1 rr.res_detail
			without the mirrors): only the data models of capabilities.</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="cap_index" type="smallint"
			description="Index of the capability the detail belongs to"/>
		<column name="detail_xpath" type="text"
			description="The xpath of the detail in the VOResource record"/>
		<column name="detail_value" type="text"
			description="The (string) value of the detail"/>
	</table>

	<table id="mirrors" onDisk="True">
		<meta name="description">The mirrors this server lists: the PostgreSQL
			setting esaptest.mirrors (name=baseURL,...), none when unset.</meta>
		<column name="name" type="text" description="The mirror's name"/>
		<column name="url" type="text" description="Its base URL (no trailing /)"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT split_part(m, '=', 1), rtrim(substr(m, strpos(m, '=') + 1), '/')
				FROM unnest(string_to_array(NULLIF(
					current_setting('esaptest.mirrors', true), ''), ',')) AS m)
		</viewStatement>
	</table>

	<table id="mirror_capabilities" onDisk="True">
		<meta name="description">The archive's three standard interfaces,
			under each mirror's base URL.</meta>
		<column name="ivoid" type="text"/>
		<column name="cap_index" type="smallint" required="True"/>
		<column name="cap_type" type="text"/>
		<column name="cap_description" type="text"/>
		<column name="standard_id" type="text"/>
		<column name="std_version" type="text"/>
		<column name="access_url" type="text"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT 'ivo://esap.test/mirror/' || m.name, c.i, c.t, c.d, c.s, c.v,
					m.url || c.p
				FROM \schema.mirrors AS m CROSS JOIN (VALUES
					(1::smallint, 'tr:tableaccess', 'TAP over ObsCore and the catalogue',
						'ivo://ivoa.net/std/tap', '1.1', '/tap'),
					(2::smallint, 'sia:simpleimageaccess', 'SIAv2 query',
						'ivo://ivoa.net/std/sia#query-2.0', '2.0',
						'/esaptest/q/sia2/siap2.xml'),
					(3::smallint, 'cs:conesearch', 'Cone search',
						'ivo://ivoa.net/std/conesearch', '1.03',
						'/esaptest/q/cone/scs.xml')) AS c (i, t, d, s, v, p))
		</viewStatement>
	</table>

	<table id="resource" onDisk="True" adql="True">
		<meta name="description">The resources (RegTAP 1.1 rr.resource).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="Unambiguous reference to the resource"/>
		<column name="res_type" type="text"
			description="Resource type (e.g. vs:catalogservice)"/>
		<column name="created" type="timestamp"
			description="Date and time of the record's creation"/>
		<column name="short_name" type="text"
			description="A short name or abbreviation"/>
		<column name="res_title" type="text"
			description="The full name given to the resource"/>
		<column name="updated" type="timestamp"
			description="Date and time of the record's last update"/>
		<column name="content_level" type="text"
			description="Intended audiences, hash-separated"/>
		<column name="res_description" type="text"
			description="An account of the nature of the resource"/>
		<column name="reference_url" type="text"
			description="URL of a page describing the resource"/>
		<column name="creator_seq" type="text"
			description="Creators, hash-separated, in order"/>
		<column name="content_type" type="text"
			description="Nature of the content, hash-separated"/>
		<column name="source_format" type="text"
			description="Format of source_value"/>
		<column name="source_value" type="text"
			description="Bibliographic reference of the resource"/>
		<column name="res_version" type="text"
			description="Version label of the resource"/>
		<column name="region_of_regard" type="real" unit="deg"
			description="Intrinsic spatial resolution"/>
		<column name="waveband" type="text"
			description="Messenger terms (hash-separated, from
				http://www.ivoa.net/rdf/messenger)"/>
		<column name="rights" type="text"
			description="Statement of usage conditions"/>
		<column name="rights_uri" type="text"
			description="URI of the usage conditions"/>
		<column name="harvested_from" type="text"
			description="IVOA identifier of the registry the record came from"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT \colNames FROM \schema.resource_rows
				UNION ALL
				SELECT 'ivo://esap.test/mirror/' || name, 'vs:catalogservice',
					timestamp '2026-11-24 00:00:00', 'ESAP mirror ' || name,
					'ESAP Hub test archive mirror ' || name,
					timestamp '2026-11-24 00:00:00', 'research',
					'A mirror of the ESAP Hub test archive (TAP, SIAv2 and cone '
						|| 'search over the same products and catalogue) at ' || url,
					'https://esap.example.org/test-archive', 'ESAP Hub developers',
					'catalog', NULL, NULL, NULL, NULL, 'optical', NULL, NULL, NULL
				FROM \schema.mirrors)
		</viewStatement>
	</table>

	<table id="capability" onDisk="True" adql="True">
		<meta name="description">Capabilities of the resources
			(RegTAP 1.1 rr.capability).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="cap_index" type="smallint" required="True"
			description="Index of the capability within the resource"/>
		<column name="cap_name" type="text"
			description="Name of the capability (unused)"/>
		<column name="cap_type" type="text"
			description="Capability type (e.g. tr:tableaccess)"/>
		<column name="cap_description" type="text"
			description="A description of what the capability does"/>
		<column name="standard_id" type="text"
			description="IVOA standard the capability implements"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT \colNames FROM \schema.capability_rows
				UNION ALL
				SELECT ivoid, cap_index, NULL, cap_type, cap_description, standard_id
				FROM \schema.mirror_capabilities)
		</viewStatement>
	</table>

	<table id="res_subject" onDisk="True" adql="True">
		<meta name="description">Topics of the resources
			(RegTAP 1.1 rr.res_subject).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="res_subject" type="text"
			description="A topic of the resource"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT \colNames FROM \schema.res_subject_rows
				UNION ALL
				SELECT 'ivo://esap.test/mirror/' || name, 'astronomical-images'
				FROM \schema.mirrors)
		</viewStatement>
	</table>

	<table id="res_detail" onDisk="True" adql="True">
		<meta name="description">Details of the resources (RegTAP 1.1
			rr.res_detail): the data models their capabilities serve.</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="cap_index" type="smallint"
			description="Index of the capability the detail belongs to"/>
		<column name="detail_xpath" type="text"
			description="The xpath of the detail in the VOResource record"/>
		<column name="detail_value" type="text"
			description="The (string) value of the detail"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT \colNames FROM \schema.res_detail_rows
				UNION ALL
				SELECT ivoid, cap_index, '/capability/dataModel/@ivo-id',
					'ivo://ivoa.net/std/obscore#core-1.1'
				FROM \schema.mirror_capabilities WHERE cap_index = 1)
		</viewStatement>
	</table>

	<table id="interface" onDisk="True" adql="True">
		<meta name="description">Interfaces of the capabilities
			(RegTAP 1.1 rr.interface).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="cap_index" type="smallint" required="True"
			description="Index of the parent capability"/>
		<column name="intf_index" type="smallint" required="True"
			description="Index of the interface within the resource"/>
		<column name="intf_type" type="text"
			description="Interface type (e.g. vs:paramhttp)"/>
		<column name="intf_role" type="text"
			description="std for the standard interface of a capability"/>
		<column name="std_version" type="text"
			description="Version of the standard the interface implements"/>
		<column name="query_type" type="text"
			description="HTTP methods accepted, hash-separated"/>
		<column name="result_type" type="text"
			description="MIME type of the result"/>
		<column name="wsdl_url" type="text"
			description="Location of a WSDL document (unused)"/>
		<column name="url_use" type="text"
			description="How to use access_url (full, base, post, dir)"/>
		<column name="access_url" type="text" ucd="meta.ref.url"
			description="The URL at which the interface is found"/>
		<column name="mirror_url" type="text"
			description="Mirror URLs, hash-separated"/>
		<column name="authenticated_only" type="smallint" required="True"
			description="1 if the interface needs authentication"/>
		<column name="security_method_id" type="text"
			description="Standard of the interface's security method"/>
		<viewStatement>
			CREATE VIEW \qName (\colNames) AS (
				SELECT ivoid, cap_index, intf_index, intf_type, intf_role,
					std_version, query_type, result_type, wsdl_url, url_use,
					replace(access_url, '{serverURL}', COALESCE(
						current_setting('esaptest.server_url', true), '{serverURL}')),
					mirror_url, authenticated_only, security_method_id
				FROM \schema.interface_rows
				UNION ALL
				SELECT ivoid, cap_index, cap_index, 'vs:paramhttp', 'std',
					std_version, NULL, NULL, NULL, 'base', access_url, NULL,
					0::smallint, NULL
				FROM \schema.mirror_capabilities)
		</viewStatement>
	</table>

	<data id="import_resources">
		<sources>data/registry_resources.csv</sources>
		<csvGrammar/>
		<make table="resource_rows">
			<rowmaker idmaps="ivoid, res_type, short_name, res_title,
					res_description, reference_url, creator_seq, content_level,
					content_type, waveband">
				<map key="created">parseTimestamp(@created, "%Y-%m-%dT%H:%M:%S")</map>
				<map key="updated">parseTimestamp(@updated, "%Y-%m-%dT%H:%M:%S")</map>
				<map key="source_format">None</map>
				<map key="source_value">None</map>
				<map key="res_version">None</map>
				<map key="region_of_regard">None</map>
				<map key="rights">None</map>
				<map key="rights_uri">None</map>
				<map key="harvested_from">None</map>
			</rowmaker>
		</make>
	</data>

	<data id="import_subjects">
		<sources>data/registry_resources.csv</sources>
		<csvGrammar>
			<rowfilter>
				<code>
					for subject in row["subjects"].split("#"):
						yield {"ivoid": row["ivoid"], "res_subject": subject}
				</code>
			</rowfilter>
		</csvGrammar>
		<make table="res_subject_rows">
			<rowmaker idmaps="*"/>
		</make>
	</data>

	<data id="import_capabilities">
		<sources>data/registry_capabilities.csv</sources>
		<csvGrammar/>
		<make table="capability_rows">
			<rowmaker idmaps="ivoid, cap_type, cap_description">
				<map key="cap_index">int(@cap_index)</map>
				<map key="standard_id">@standard_id or None</map>
				<map key="cap_name">None</map>
			</rowmaker>
		</make>
		<make table="interface_rows">
			<rowmaker idmaps="ivoid, intf_type, url_use, access_url">
				<map key="cap_index">int(@cap_index)</map>
				<map key="intf_index">int(@cap_index)</map>
				<map key="intf_role">@intf_role or None</map>
				<map key="std_version">@std_version or None</map>
				<map key="authenticated_only">0</map>
				<map key="query_type">None</map>
				<map key="result_type">None</map>
				<map key="wsdl_url">None</map>
				<map key="mirror_url">None</map>
				<map key="security_method_id">None</map>
			</rowmaker>
		</make>
	</data>

	<data id="import_details">
		<sources>data/registry_details.csv</sources>
		<csvGrammar/>
		<make table="res_detail_rows">
			<rowmaker idmaps="ivoid, detail_xpath, detail_value">
				<map key="cap_index">int(@cap_index)</map>
			</rowmaker>
		</make>
	</data>

	<!-- One data element per level of views: DaCHS recreates a data
	element's existing tables after creating its new ones, and a view
	dropped in that cascade would not come back. -->
	<data id="import_mirrors">
		<make table="mirrors"/>
	</data>

	<data id="import_mirror_capabilities">
		<make table="mirror_capabilities"/>
	</data>

	<data id="import_interface">
		<make table="resource"/>
		<make table="capability"/>
		<make table="res_subject"/>
		<make table="res_detail"/>
		<make table="interface"/>
	</data>
</resource>
