<?xml version="1.0" encoding="utf-8"?>
<!-- ESAP Hub test registry: a small IVOA Registry Relational Schema
(RegTAP 1.1) in schema rr, published through DaCHS's TAP service, so that
pyvo.registry (and ESAP Hub's registry search) can run against a real
RegTAP endpoint without the internet.

Only the tables and columns RegTAP clients query for resource discovery
are here: rr.resource, rr.capability, rr.interface and rr.res_subject.
The records come from data/registry_*.csv; see ../README.md.

The records of the test archive itself must point at the DaCHS server that
answers, whatever its port.  Their access URLs are therefore stored with
the placeholder {serverURL}, and rr.interface is a view that replaces it
with the PostgreSQL setting esaptest.server_url, which the test harness
gives each server's database sessions (PGOPTIONS).  A server without that
setting shows the placeholder unchanged. -->
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

	<table id="resource" onDisk="True" adql="True" primary="ivoid">
		<meta name="description">The resources (RegTAP 1.1 rr.resource).</meta>
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
				FROM \schema.interface_rows)
		</viewStatement>
	</table>

	<table id="res_subject" onDisk="True" adql="True">
		<meta name="description">Topics of the resources
			(RegTAP 1.1 rr.res_subject).</meta>
		<column name="ivoid" type="text" ucd="meta.ref.ivoid"
			description="The parent resource"/>
		<column name="res_subject" type="text"
			description="A topic of the resource"/>
	</table>

	<data id="import_resources">
		<sources>data/registry_resources.csv</sources>
		<csvGrammar/>
		<make table="resource">
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
		<make table="res_subject">
			<rowmaker idmaps="*"/>
		</make>
	</data>

	<data id="import_capabilities">
		<sources>data/registry_capabilities.csv</sources>
		<csvGrammar/>
		<make table="capability">
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

	<data id="import_interface">
		<make table="interface"/>
	</data>
</resource>
